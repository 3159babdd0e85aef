// The password file reader: first line, permissions, errors that never show the secret.
#include "core/secret_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.hpp"

namespace {

// A file in a fresh temporary directory, removed at the end of the test.
class SecretFile : public ::testing::Test {
protected:
    void SetUp() override {
        char dir[] = "/tmp/mq_secret_XXXXXX";
        ASSERT_NE(mkdtemp(dir), nullptr);
        dir_ = dir;
        path_ = dir_ + "/pass";
    }
    void TearDown() override {
        std::remove(path_.c_str());
        rmdir(dir_.c_str());
    }
    void write(const std::string& content, mode_t mode) {
        FILE* f = std::fopen(path_.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fwrite(content.data(), 1, content.size(), f);
        std::fclose(f);
        ASSERT_EQ(chmod(path_.c_str(), mode), 0);
    }
    // The error reading the file raises; fails the test if there is none.
    mq::Error error() {
        try {
            mq::read_secret_file(path_);
        } catch (const mq::Error& e) {
            return e;
        }
        ADD_FAILURE() << "no error";
        return mq::Error("00000", "");
    }
    std::string dir_, path_;
};

TEST_F(SecretFile, FirstLineWithoutLineEnd) {
    write("s3cret pass\nsecond line\n", 0600);
    EXPECT_EQ(mq::read_secret_file(path_), "s3cret pass");
    write("crlf\r\n", 0400);
    EXPECT_EQ(mq::read_secret_file(path_), "crlf");
    write("no newline", 0600);
    EXPECT_EQ(mq::read_secret_file(path_), "no newline");
}

TEST_F(SecretFile, GroupOrWorldAccessIsRefusedWithoutShowingTheSecret) {
    for (mode_t mode : {0644, 0640, 0604, 0660, 0606}) {
        write("topsecret\n", mode);
        mq::Error e = error();
        EXPECT_EQ(e.sqlstate(), "F0000") << mode;
        EXPECT_NE(std::string(e.what()).find("has group or world access"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find(path_), std::string::npos);
        for (const std::string& text : {std::string(e.what()), e.detail(), e.hint()})
            EXPECT_EQ(text.find("topsecret"), std::string::npos) << text;
    }
}

TEST_F(SecretFile, MissingEmptyOrNotAFile) {
    EXPECT_EQ(error().sqlstate(), "58P01");
    write("\nsecond\n", 0600);
    EXPECT_EQ(error().sqlstate(), "F0000");
    write("", 0600);
    EXPECT_EQ(error().sqlstate(), "F0000");
    std::string file = path_;
    path_ = dir_;  // a directory
    EXPECT_EQ(error().sqlstate(), "F0000");
    path_ = file;
}

TEST_F(SecretFile, UnreadableFile) {
    if (geteuid() == 0)
        GTEST_SKIP() << "root reads any file";
    write("topsecret\n", 0000);
    mq::Error e = error();
    EXPECT_EQ(e.sqlstate(), "42501");
    EXPECT_EQ(std::string(e.what()).find("topsecret"), std::string::npos);
}

TEST_F(SecretFile, OverlongFirstLine) {
    write(std::string(5000, 'x'), 0600);
    EXPECT_EQ(error().sqlstate(), "F0000");
}

}  // namespace
