SELECT e.id, e.at, e.amount, u.name FROM raced.events e JOIN raced.users u ON u.id = e.user_id WHERE e.at > '2024-01-12 11:00:00+00';
