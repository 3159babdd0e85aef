SELECT e.id, e.at, e.amount, u.name FROM fdw.events e JOIN fdw.users u ON u.id = e.user_id WHERE e.at > '2024-01-12 11:00:00+00';
