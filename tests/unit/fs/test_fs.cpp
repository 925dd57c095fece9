// The writer, in a temp dir: atomic replace under injected syscall failures,
// symlinks that try to leave the root, unchanged content left alone, the
// interfaces `source` line, cloud-init's opt-out, output detection, state
// files and their modes, and a read-only root in a private mount namespace.
#include "fs/remount.h"
#include "fs/root.h"
#include "fs/root_config.h"
#include "fs/small_file.h"
#include "fs/writer.h"
#include "render/ifupdown.h"
#include "render/netplan.h"
#include "render/registry.h"

#include <doctest/doctest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <string>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace mb;
using namespace mb::fs;

namespace {

class TempDir {
public:
    TempDir()
    {
        char pattern[] = "/tmp/mb-fs-test-XXXXXX";
        char* made = ::mkdtemp(pattern);
        REQUIRE(made);
        m_path = made;
    }
    ~TempDir()
    {
        std::string command = "rm -rf '" + m_path + "'";
        (void)std::system(command.c_str());
    }
    const std::string& path() const { return m_path; }
    std::string operator/(const std::string& relative) const { return m_path + "/" + relative; }

private:
    std::string m_path;
};

void make_dirs(const std::string& path)
{
    std::string command = "mkdir -p '" + path + "'";
    REQUIRE(std::system(command.c_str()) == 0);
}

void put(const std::string& path, const std::string& text)
{
    FILE* file = std::fopen(path.c_str(), "wb");
    REQUIRE(file);
    std::fwrite(text.data(), 1, text.size(), file);
    std::fclose(file);
}

std::string get(const std::string& path)
{
    std::string out;
    FILE* file = std::fopen(path.c_str(), "rb");
    if (!file)
        return "<absent>";
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0)
        out.append(buffer, n);
    std::fclose(file);
    return out;
}

struct stat stat_of(const std::string& path)
{
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

int count_entries(const std::string& directory)
{
    std::string command = "test $(ls -A '" + directory + "' | wc -l) -eq ";
    for (int n = 0; n < 64; ++n) {
        if (std::system((command + std::to_string(n)).c_str()) == 0)
            return n;
    }
    return -1;
}

// Fault injection: fail the Nth call of one kind with an errno, or make
// every write short.
enum class Call { None, Write, Fchmod, Fsync, FsyncDirectory, Rename, OpenTemporary, Mkdir };
Call g_fail_call = Call::None;
int g_fail_errno = 0;
int g_fail_on = 1; // 1-based count of calls of that kind
int g_seen = 0;
bool g_short_writes = false;

bool should_fail(Call call)
{
    if (call != g_fail_call)
        return false;
    return ++g_seen == g_fail_on;
}

int fake_openat(int dirfd, const char* path, int flags, mode_t mode)
{
    if ((flags & O_CREAT) && should_fail(Call::OpenTemporary)) {
        errno = g_fail_errno;
        return -1;
    }
    return real_syscalls().openat(dirfd, path, flags, mode);
}

ssize_t fake_write(int fd, const void* buffer, size_t count)
{
    if (should_fail(Call::Write)) {
        errno = g_fail_errno;
        return -1;
    }
    return real_syscalls().write(fd, buffer, g_short_writes && count > 1 ? 1 : count);
}

int fake_fsync(int fd)
{
    struct stat st;
    bool directory = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
    if (should_fail(directory ? Call::FsyncDirectory : Call::Fsync)) {
        errno = g_fail_errno;
        return -1;
    }
    return real_syscalls().fsync(fd);
}

int fake_fchmod(int fd, mode_t mode)
{
    if (should_fail(Call::Fchmod)) {
        errno = g_fail_errno;
        return -1;
    }
    return real_syscalls().fchmod(fd, mode);
}

int fake_renameat(int a, const char* b, int c, const char* d)
{
    if (should_fail(Call::Rename)) {
        errno = g_fail_errno;
        return -1;
    }
    return real_syscalls().renameat(a, b, c, d);
}

int fake_mkdirat(int dirfd, const char* path, mode_t mode)
{
    if (should_fail(Call::Mkdir)) {
        errno = g_fail_errno;
        return -1;
    }
    return real_syscalls().mkdirat(dirfd, path, mode);
}

int fake_unlinkat(int dirfd, const char* path, int flags)
{
    return real_syscalls().unlinkat(dirfd, path, flags);
}

const Syscalls fake_syscalls { fake_openat, fake_write, fake_fsync, fake_fchmod, fake_renameat, fake_unlinkat, fake_mkdirat };

void arm(Call call, int error, int on = 1)
{
    g_fail_call = call;
    g_fail_errno = error;
    g_fail_on = on;
    g_seen = 0;
    g_short_writes = false;
}

}

TEST_CASE("fs: write_file creates directories and the file with its mode, atomically")
{
    TempDir dir;
    auto root = Root::open(dir.path());
    REQUIRE(root.ok());
    auto outcome = root->write_file("etc/netplan/50-cloud-init.yaml", "network: {}\n", 0600);
    REQUIRE(outcome.ok());
    CHECK(*outcome == WriteOutcome::Written);
    CHECK(get(dir / "etc/netplan/50-cloud-init.yaml") == "network: {}\n");
    CHECK((stat_of(dir / "etc/netplan/50-cloud-init.yaml").st_mode & 07777) == 0600);
    CHECK(S_ISDIR(stat_of(dir / "etc/netplan").st_mode));
    CHECK(count_entries(dir / "etc/netplan") == 1);

    CHECK(root->write_file("/etc/x", "x", 0644).is_error());
    CHECK(root->write_file("etc/../x", "x", 0644).is_error());
    CHECK(root->write_file("", "x", 0644).is_error());
}

TEST_CASE("fs: unchanged content is not rewritten; changed content replaces the file")
{
    TempDir dir;
    auto root = Root::open(dir.path()).release_value();
    REQUIRE(root.write_file("etc/network/interfaces.d/50-cloud-init", "auto lo\n", 0644).ok());
    auto before = stat_of(dir / "etc/network/interfaces.d/50-cloud-init");
    ::usleep(20000);
    auto again = root.write_file("etc/network/interfaces.d/50-cloud-init", "auto lo\n", 0644);
    REQUIRE(again.ok());
    CHECK(*again == WriteOutcome::Unchanged);
    auto after = stat_of(dir / "etc/network/interfaces.d/50-cloud-init");
    CHECK(after.st_ino == before.st_ino);
    CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
    CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);

    // A different mode is a change too.
    CHECK(*root.write_file("etc/network/interfaces.d/50-cloud-init", "auto lo\n", 0640) == WriteOutcome::Written);
    // Hold the old file open: its inode cannot be reused, and it must still
    // read the old bytes afterwards (replaced by rename, not rewritten).
    int old_fd = ::open((dir / "etc/network/interfaces.d/50-cloud-init").c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(old_fd >= 0);
    auto old_inode = stat_of(dir / "etc/network/interfaces.d/50-cloud-init").st_ino;
    auto changed = root.write_file("etc/network/interfaces.d/50-cloud-init", "auto lo\nauto eth0\n", 0644);
    CHECK(*changed == WriteOutcome::Written);
    CHECK(get(dir / "etc/network/interfaces.d/50-cloud-init") == "auto lo\nauto eth0\n");
    CHECK(stat_of(dir / "etc/network/interfaces.d/50-cloud-init").st_ino != old_inode);
    char buffer[32] = {};
    CHECK(::pread(old_fd, buffer, sizeof buffer - 1, 0) == 8);
    CHECK(std::string(buffer) == "auto lo\n");
    ::close(old_fd);
}

TEST_CASE("fs: a failure at any step leaves the old file whole and no temporary file")
{
    struct Case {
        const char* name;
        Call call;
        int error;
        int on;
    };
    const Case cases[] = {
        { "ENOSPC on the first write", Call::Write, ENOSPC, 1 },
        { "EIO on a later write", Call::Write, EIO, 3 },
        { "chmod fails", Call::Fchmod, EPERM, 1 },
        { "EIO on fsync", Call::Fsync, EIO, 1 },
        { "ENOSPC on fsync", Call::Fsync, ENOSPC, 1 },
        { "rename fails", Call::Rename, EIO, 1 },
        { "temporary file cannot be created", Call::OpenTemporary, ENOSPC, 1 },
    };
    std::string old_content = "old content, complete\n";
    std::string new_content(100000, 'n');
    for (const auto& c : cases) {
        INFO(c.name);
        TempDir dir;
        make_dirs(dir / "etc/netplan");
        put(dir / "etc/netplan/50-cloud-init.yaml", old_content);
        auto root = Root::open(dir.path(), fake_syscalls).release_value();
        arm(c.call, c.error, c.on);
        g_short_writes = c.call == Call::Write && c.on > 1; // several write calls
        auto result = root.write_file("etc/netplan/50-cloud-init.yaml", g_short_writes ? "abcdef" : new_content, 0600);
        arm(Call::None, 0);
        REQUIRE(result.is_error());
        CHECK(result.error().errno_value() == c.error);
        CHECK(get(dir / "etc/netplan/50-cloud-init.yaml") == old_content);
        CHECK(count_entries(dir / "etc/netplan") == 1);
    }
}

TEST_CASE("fs: a failed directory fsync after the rename reports an error over a complete new file")
{
    TempDir dir;
    auto root = Root::open(dir.path(), fake_syscalls).release_value();
    arm(Call::FsyncDirectory, EIO);
    auto result = root.write_file("etc/x", "new\n", 0644);
    arm(Call::None, 0);
    CHECK(result.is_error());
    CHECK(get(dir / "etc/x") == "new\n");
    CHECK(count_entries(dir / "etc") == 1);
}

TEST_CASE("fs: short writes are continued; a stale temporary file is replaced")
{
    TempDir dir;
    make_dirs(dir / "etc");
    put(dir / "etc/.x.metaboot-new", "stale");
    auto root = Root::open(dir.path(), fake_syscalls).release_value();
    arm(Call::None, 0);
    g_short_writes = true;
    auto result = root.write_file("etc/x", "written one byte at a time\n", 0644);
    g_short_writes = false;
    REQUIRE(result.ok());
    CHECK(get(dir / "etc/x") == "written one byte at a time\n");
    CHECK(count_entries(dir / "etc") == 1);
}

TEST_CASE("fs: a temporary file left by a power cut is removed by the next write, also of unchanged content")
{
    // A power cut between create and rename leaves .NAME.metaboot-new beside
    // the old (or, after the rename, the new) file. The next boot writes the
    // same content, finds the file unchanged, and must still remove it.
    TempDir dir;
    make_dirs(dir / "etc/netplan");
    put(dir / "etc/netplan/50-cloud-init.yaml", "network: {}\n");
    REQUIRE(::chmod((dir / "etc/netplan/50-cloud-init.yaml").c_str(), 0600) == 0);
    put(dir / "etc/netplan/.50-cloud-init.yaml.metaboot-new", "netw");
    auto root = Root::open(dir.path()).release_value();
    auto result = root.write_file("etc/netplan/50-cloud-init.yaml", "network: {}\n", 0600);
    REQUIRE(result.ok());
    CHECK(*result == WriteOutcome::Unchanged);
    CHECK(get(dir / "etc/netplan/.50-cloud-init.yaml.metaboot-new") == "<absent>");
    CHECK(count_entries(dir / "etc/netplan") == 1);

    SUBCASE("and by a write of new content")
    {
        put(dir / "etc/netplan/.50-cloud-init.yaml.metaboot-new", "");
        REQUIRE(root.write_file("etc/netplan/50-cloud-init.yaml", "network: {version: 2}\n", 0600).ok());
        CHECK(get(dir / "etc/netplan/50-cloud-init.yaml") == "network: {version: 2}\n");
        CHECK(count_entries(dir / "etc/netplan") == 1);
    }
}

TEST_CASE("fs: symlinks never lead a write out of the root")
{
    TempDir outside;
    TempDir dir;
    make_dirs(dir / "etc");

    SUBCASE("a relative link that climbs out is refused")
    {
        REQUIRE(::symlink(("../../../../../../.." + outside.path()).c_str(), (dir / "etc/netplan").c_str()) == 0);
        auto root = Root::open(dir.path()).release_value();
        auto result = root.write_file("etc/netplan/50-cloud-init.yaml", "x", 0600);
        REQUIRE(result.is_error());
        CHECK(result.error().kind() == ErrorKind::Refused);
        CHECK(count_entries(outside.path()) == 0);
    }
    SUBCASE("an absolute link is resolved inside the root, never on the host")
    {
        REQUIRE(::symlink(outside.path().c_str(), (dir / "etc/netplan").c_str()) == 0);
        auto root = Root::open(dir.path()).release_value();
        REQUIRE(root.write_file("etc/netplan/50-cloud-init.yaml", "x", 0600).ok());
        CHECK(count_entries(outside.path()) == 0);
        CHECK(get(dir.path() + outside.path() + "/50-cloud-init.yaml") == "x");
    }
    SUBCASE("a symlink as the file itself is replaced, not written through")
    {
        make_dirs(dir / "etc/netplan");
        put(outside / "target", "outside\n");
        REQUIRE(::symlink((outside / "target").c_str(), (dir / "etc/netplan/50-cloud-init.yaml").c_str()) == 0);
        auto root = Root::open(dir.path()).release_value();
        CHECK(root.read_file("etc/netplan/50-cloud-init.yaml").is_error());
        REQUIRE(root.write_file("etc/netplan/50-cloud-init.yaml", "inside\n", 0600).ok());
        CHECK(get(outside / "target") == "outside\n");
        CHECK(S_ISREG(stat_of(dir / "etc/netplan/50-cloud-init.yaml").st_mode));
        CHECK(get(dir / "etc/netplan/50-cloud-init.yaml") == "inside\n");
    }
    SUBCASE("a symlink loop fails cleanly")
    {
        REQUIRE(::symlink("loop", (dir / "etc/loop").c_str()) == 0);
        auto root = Root::open(dir.path()).release_value();
        CHECK(root.write_file("etc/loop/x", "x", 0600).is_error());
        CHECK(!root.exists("etc/loop"));
    }
}

render::RootView view_of(const Root& root)
{
    return render::RootView {
        [&root](std::string_view path) { return root.exists(path); },
        [&root](std::string_view path) { return root.is_directory(path); },
        [&root](std::string_view path) { return root.read_file(path); },
        [&root](std::string_view path) { return root.list_directory(path).value_or(std::vector<std::string>()); },
    };
}

std::vector<std::string_view> names(const std::vector<const render::Format*>& formats)
{
    std::vector<std::string_view> out;
    for (auto* format : formats)
        out.push_back(format->name);
    return out;
}

using Names = std::vector<std::string_view>;

TEST_CASE("fs: stack detection follows a merged-/usr root's links inside the root")
{
    TempDir dir;
    auto root = Root::open(dir.path()).release_value();
    auto view = view_of(root);
    CHECK(!render::detect_stack(view).format);

    make_dirs(dir / "usr/sbin");
    make_dirs(dir / "usr/share/netplan");
    put(dir / "usr/share/netplan/netplan.script", "#!/bin/sh\n");
    REQUIRE(::symlink("../share/netplan/netplan.script", (dir / "usr/sbin/netplan").c_str()) == 0);
    REQUIRE(render::detect_stack(view).format);
    CHECK(render::detect_stack(view).format->name == "netplan");

    // ifupdown installed too, reached through the sbin link: netplan still
    // wins, and only one stack is written for.
    put(dir / "usr/sbin/ifup", "");
    REQUIRE(::symlink("usr/sbin", (dir / "sbin").c_str()) == 0);
    CHECK(render::detect_stack(view).format->name == "netplan");

    TempDir other;
    make_dirs(other / "usr/sbin");
    put(other / "usr/sbin/ifup", "");
    REQUIRE(::symlink("usr/sbin", (other / "sbin").c_str()) == 0);
    // An absolute link that means the host's file must not count.
    REQUIRE(::symlink("/usr/sbin/netplan-not-here", (other / "usr/sbin/netplan").c_str()) == 0);
    // systemd in the root: ifupdown counts once networking.service is enabled,
    // through a link whose absolute target is read inside the root.
    make_dirs(other / "usr/lib/systemd/system");
    put(other / "usr/lib/systemd/systemd", "");
    put(other / "usr/lib/systemd/system/networking.service", "[Unit]\n");
    auto other_root = Root::open(other.path()).release_value();
    CHECK(!render::detect_stack(view_of(other_root)).format);
    make_dirs(other / "etc/systemd/system/multi-user.target.wants");
    REQUIRE(::symlink("/usr/lib/systemd/system/networking.service", (other / "etc/systemd/system/multi-user.target.wants/networking.service").c_str()) == 0);
    REQUIRE(render::detect_stack(view_of(other_root)).format);
    CHECK(render::detect_stack(view_of(other_root)).format->name == "ifupdown");

    CHECK(names(*render::parse_format_list("netplan,ifupdown")) == Names { "netplan", "ifupdown" });
    CHECK(names(*render::parse_format_list("ifupdown")) == Names { "ifupdown" });
    CHECK(render::parse_format_list("none")->empty());
    CHECK(render::parse_format_list("netplan,netplan").is_error());
    CHECK(render::parse_format_list("").is_error());
    CHECK(render::parse_format_list("eni").is_error());
}

TEST_CASE("fs: cloud-init opt-out scanner")
{
    struct Case {
        const char* text;
        std::optional<std::string> expected;
    };
    const Case cases[] = {
        { "network: {config: disabled}\n", "disabled" },
        { "network: {config: 'disabled'}\n", "disabled" },
        { "network: { renderers: [netplan, eni], config: \"disabled\" }  # off\n", "disabled" },
        { "network:\n  config: disabled\n", "disabled" },
        { "#cloud-config\n---\nnetwork:\n    version: 2\n    config: disabled\n", "disabled" },
        { "network:\n  renderers:\n    - netplan\n  config: disabled\n", "disabled" },
        { "network:\n  ethernets:\n    eth0:\n      config: disabled\n", std::nullopt },
        { "# network: {config: disabled}\n", std::nullopt },
        { "other:\n  network: {config: disabled}\n", std::nullopt },
        { "network: {version: 2}\n", std::nullopt },
        { "network:\n  config: enabled\n", "enabled" },
        { "network: {config: disabled}\nnetwork: {config: enabled}\n", "enabled" },
        { "users: [default]\nnetwork:\r\n  config: disabled\r\n", "disabled" },
        { "", std::nullopt },
    };
    for (const auto& c : cases) {
        INFO(c.text);
        CHECK(cloud_config_network_setting(c.text) == c.expected);
    }
}

TEST_CASE("fs: the kernel command line with dracut's baked-in options first")
{
    TempDir dir;
    put(dir / "20-later.conf", "rd.metaboot.timeout=9\n");
    put(dir / "10-first.conf", "rd.metaboot.provider=ec2\trd.metaboot.output=networkd\n");
    put(dir / "README", "not a .conf file");
    put(dir / ".hidden.conf", "rd.metaboot=0");
    auto proc = read_small_file("/proc/cmdline");
    auto merged = read_kernel_cmdline("/proc/cmdline", dir.path());
    CHECK(merged == "rd.metaboot.provider=ec2 rd.metaboot.output=networkd  rd.metaboot.timeout=9  " + proc);
    // Another file (--cmdline in the tests) is read alone.
    put(dir / "cmdline", "ro quiet\n");
    CHECK(read_kernel_cmdline(dir / "cmdline", dir.path()) == "ro quiet\n");
    CHECK(read_kernel_cmdline("/proc/cmdline", dir / "absent") == proc);
}

TEST_CASE("fs: will the root run SELinux enforcing")
{
    struct Case {
        const char* config;
        const char* cmdline;
        bool expected;
    };
    const Case cases[] = {
        { "SELINUX=enforcing\nSELINUXTYPE=targeted\n", "root=/dev/vda ro", true },
        { "# SELINUX=enforcing\nSELINUX=permissive\n", "ro", false },
        { "SELINUX=disabled\n", "", false },
        { "  SELINUX=\"enforcing\"  # quoted\n", "", true },
        { "SELINUX=enforcing\n", "ro selinux=0", false },
        { "SELINUX=enforcing\n", "ro enforcing=0 quiet", false },
        { "SELINUX=enforcing\n", "ro enforcing=1", true },
        { "SELINUXTYPE=enforcing\n", "", false },
        { "SELINUX=enforcing\nSELINUX=permissive\n", "", false },
        { "", "", false },
    };
    for (const auto& c : cases) {
        INFO(c.config, " | ", c.cmdline);
        CHECK(selinux_enforcing(c.config, c.cmdline) == c.expected);
    }
}

TEST_CASE("ifupdown: the interfaces source line is added only when missing")
{
    CHECK(render::interfaces_with_source_line("") == std::optional<std::string>("source /etc/network/interfaces.d/*\n"));
    CHECK(render::interfaces_with_source_line("auto lo\niface lo inet loopback") == std::optional<std::string>("auto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\n"));
    CHECK(!render::interfaces_with_source_line("source /etc/network/interfaces.d/*\nauto lo\n"));
    CHECK(!render::interfaces_with_source_line("  source\t/etc/network/interfaces.d/*\n"));
    CHECK(!render::interfaces_with_source_line("source-directory /etc/network/interfaces.d\n"));
    CHECK(!render::interfaces_with_source_line("source-directory interfaces.d\n"));
    CHECK(render::interfaces_with_source_line("# source /etc/network/interfaces.d/*\n").has_value());
    CHECK(render::interfaces_with_source_line("source /etc/network/interfaces.d/*.cfg\n").has_value());
}

// Every format's files for `config`, as the run collects them.
std::vector<FileContent> rendered(const render::RootView& view, render::Persistence persistence, render::Place place)
{
    std::vector<FileContent> files;
    for (const auto* format : render::all_formats()) {
        for (auto& file : format->render(NetworkConfig {}, view, persistence).release_value()) {
            if (file.place == place)
                files.push_back(std::move(file.content));
        }
    }
    return files;
}

TEST_CASE("fs: write_files writes netplan and ifupdown and sources interfaces.d")
{
    TempDir dir;
    make_dirs(dir / "etc/netplan");
    make_dirs(dir / "etc/network");
    put(dir / "etc/network/interfaces", "# local edits\nauto lo\niface lo inet loopback\n");
    auto root = Root::open(dir.path()).release_value();
    auto files = rendered(view_of(root), render::Persistence::Persistent, render::Place::Root);
    REQUIRE(files.size() == 3);
    auto report = write_files(dir.path(), files, Remount::IfReadOnly);
    REQUIRE(report.ok());
    CHECK(!report->remounted);
    CHECK(report->files.size() == 3);
    CHECK(get(dir / "etc/netplan/50-cloud-init.yaml") == files[0].text);
    CHECK((stat_of(dir / "etc/netplan/50-cloud-init.yaml").st_mode & 07777) == 0600);
    CHECK((stat_of(dir / "etc/network/interfaces.d/50-cloud-init").st_mode & 07777) == 0644);
    CHECK(get(dir / "etc/network/interfaces") == "# local edits\nauto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\n");

    // A second run changes nothing: interfaces already sources our file.
    auto interfaces_before = stat_of(dir / "etc/network/interfaces");
    auto again_files = rendered(view_of(root), render::Persistence::Persistent, render::Place::Root);
    CHECK(again_files.size() == 2);
    auto again = write_files(dir.path(), again_files, Remount::IfReadOnly);
    REQUIRE(again.ok());
    CHECK(again->files.size() == 2);
    for (const auto& file : again->files)
        CHECK(file.outcome == WriteOutcome::Unchanged);
    CHECK(stat_of(dir / "etc/network/interfaces").st_ino == interfaces_before.st_ino);

    // Nothing to write touches nothing, not even a missing directory.
    CHECK(write_files(dir / "absent", {}, Remount::IfReadOnly)->files.empty());
}

TEST_CASE("fs: cloud-init's opt-out is found, and a later file overrides it")
{
    TempDir dir;
    make_dirs(dir / "etc/netplan");
    make_dirs(dir / "etc/cloud/cloud.cfg.d");
    put(dir / "etc/cloud/cloud.cfg", "network:\n  renderers: [netplan]\n");
    auto root = Root::open(dir.path()).release_value();
    CHECK(*cloud_init_network_opt_out(root) == std::nullopt);
    put(dir / "etc/cloud/cloud.cfg.d/99-disable-network-config.cfg", "network: {config: disabled}\n");
    CHECK(*cloud_init_network_opt_out(root) == std::optional<std::string>("etc/cloud/cloud.cfg.d/99-disable-network-config.cfg"));

    // A later file turning it back on wins, as in cloud-init's merge; a file
    // not ending in .cfg is not read.
    put(dir / "etc/cloud/cloud.cfg.d/99-z.cfg", "network:\n  config: enabled\n");
    put(dir / "etc/cloud/cloud.cfg.d/zz-disable.txt", "network: {config: disabled}\n");
    CHECK(*cloud_init_network_opt_out(root) == std::nullopt);
}

TEST_CASE("fs: --runtime puts the netplan file under the initramfs's /run")
{
    TempDir dir;
    TempDir initramfs;
    make_dirs(dir / "etc/netplan");
    auto root = Root::open(dir.path()).release_value();
    auto files = render::netplan_format.render(NetworkConfig {}, view_of(root), render::Persistence::Runtime).release_value();
    REQUIRE(files.size() == 1);
    CHECK(files[0].place == render::Place::Runtime);
    auto report = write_files(initramfs.path(), { files[0].content }, Remount::Never);
    REQUIRE(report.ok());
    REQUIRE(report->files.size() == 1);
    CHECK(report->files[0].path == initramfs.path() + "/run/netplan/50-cloud-init.yaml");
    CHECK(get(initramfs / "run/netplan/50-cloud-init.yaml") == files[0].content.text);
    CHECK((stat_of(initramfs / "run/netplan/50-cloud-init.yaml").st_mode & 07777) == 0600);
    CHECK(get(dir / "etc/netplan/50-cloud-init.yaml") == "<absent>");
}

TEST_CASE("fs: write_state makes the state dir and writes the files with their modes")
{
    TempDir dir;
    std::string state = dir / "run/metaboot";
    std::vector<FileContent> files {
        { "metadata.json", "{\"m\":1}\n", 0644 },
        { "lease.json", "{\"l\":1}\n", 0644 },
        { "user-data", "#cloud-config\npassword: x\n", 0600 },
    };
    REQUIRE(write_state(state, files).ok());
    CHECK(S_ISDIR(stat_of(state).st_mode));
    CHECK((stat_of(state).st_mode & 0777) == 0755);
    CHECK(get(state + "/metadata.json") == "{\"m\":1}\n");
    CHECK((stat_of(state + "/metadata.json").st_mode & 07777) == 0644);
    CHECK((stat_of(state + "/lease.json").st_mode & 07777) == 0644);
    CHECK((stat_of(state + "/user-data").st_mode & 07777) == 0600);
    CHECK(get(state + "/user-data") == "#cloud-config\npassword: x\n");
    CHECK(write_state("relative", files).is_error());
}

// Needs root and mount namespaces; reports a skip (not a failure) without
// them. The child does the work in its own namespace so nothing leaks.
TEST_CASE("fs: a read-only root is remounted read-write for the write and restored")
{
    TempDir dir;
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        if (::unshare(CLONE_NEWNS) < 0)
            ::_exit(77);
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
            ::_exit(77);
        if (::mount("tmpfs", dir.path().c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755") < 0)
            ::_exit(77);
        if (::mkdir((dir / "etc").c_str(), 0755) < 0 || ::mkdir((dir / "etc/netplan").c_str(), 0755) < 0)
            ::_exit(10);
        if (::mount(nullptr, dir.path().c_str(), nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) < 0)
            ::_exit(11);
        auto before = mount_state(dir.path());
        if (!before.ok() || !before->read_only)
            ::_exit(12);
        FileContent netplan { render::netplan_path, "network: {version: 2}\n", 0600 };
        auto report = write_files(dir.path(), { netplan }, Remount::IfReadOnly);
        if (!report.ok()) {
            std::fprintf(stderr, "write_files: %s\n", report.error().message().c_str());
            ::_exit(13);
        }
        if (!report->remounted || report->files.size() != 1)
            ::_exit(14);
        if (get(dir / "etc/netplan/50-cloud-init.yaml") != netplan.text)
            ::_exit(15);
        auto after = mount_state(dir.path());
        if (!after.ok() || !after->read_only)
            ::_exit(16);
        // nosuid, nodev and relatime (statvfs's ST_RELATIME is MS_BIND's
        // value: passed through untranslated, the remount would be a bind
        // remount and the superblock would stay read-only) all kept.
        if ((after->flags & (MS_NOSUID | MS_NODEV | MS_RELATIME)) != (MS_NOSUID | MS_NODEV | MS_RELATIME) || after->flags != before->flags)
            ::_exit(17);
        // An already read-write root is left alone.
        ::mount(nullptr, dir.path().c_str(), nullptr, MS_REMOUNT | MS_NOSUID | MS_NODEV, nullptr);
        auto guard = WritableGuard::make_writable(dir.path());
        if (!guard.ok() || guard->remounted())
            ::_exit(18);
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        MESSAGE("skipped: no mount namespace (needs root)");
        return;
    }
    CHECK(WEXITSTATUS(status) == 0);
}
