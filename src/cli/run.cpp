// The main run, as its phases: configuration, platform, reach (the lease),
// metadata, render + write, state, teardown, summary. This file owns the
// policy: the order, the one global deadline, what failure leads to which
// exit code, and that the lease is torn down on every path out.
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/exit_code.h"
#include "cli/lease_flow.h"
#include "cli/lease_scope.h"
#include "cli/log.h"
#include "cli/network_root.h"
#include "cli/nic_selection.h"
#include "cli/reach.h"
#include "cli/report.h"
#include "cli/signals.h"
#include "clouds/fetch.h"
#include "clouds/registry.h"
#include "common/json_writer.h"
#include "fs/dmi.h"
#include "fs/root_config.h"
#include "fs/small_file.h"
#include "fs/writer.h"
#include "http/request.h"
#include "model/cloud_init_data.h"
#include "model/instance_json.h"
#include "model/network_config.h"
#include "net/tcp_transport.h"
#include "render/registry.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <linux/if.h>
#include <sys/utsname.h>

namespace mb::cli {

using std::chrono::duration_cast;

namespace {

// The initramfs's own root, whose /run survives switch_root: --runtime
// files go under it.
constexpr const char* runtime_root = "/";

// 2. Platform: the forced cloud, or the one DMI (or the kernel command line)
// names; the metadata URL the platform names, unless one was given. A
// machine that is not a cloud costs a few file reads.
const clouds::Cloud* choose_cloud(Config& config, clouds::FetchOptions& fetch, std::string& platform_text, int& exit_code)
{
    PlatformFacts facts { fs::read_dmi(config.sysfs_root), fs::read_kernel_cmdline(config.cmdline_path) };
    // The serial DMI gives, for a service that names the machine (Hetzner);
    // a cloud forced with --provider is checked against nothing.
    if (!config.cloud)
        fetch.system_serial = facts.dmi.product_serial;
    fetch.cmdline = facts.cmdline;
    const clouds::Cloud* cloud = config.cloud ? config.cloud : clouds::detect_cloud(facts);
    if (cloud && cloud->service_url && !config.metadata_url_given) {
        auto url = cloud->service_url(facts);
        if (url.is_error()) {
            bool nothing = url.error().kind() == ErrorKind::NotFound;
            // Two calls, not one through a pointer, so -Wformat checks both.
            if (nothing)
                log_noticef("%.*s: %s", int(cloud->name.size()), cloud->name.data(), url.error().message().c_str());
            else
                log_errorf("%.*s: %s", int(cloud->name.size()), cloud->name.data(), url.error().message().c_str());
            exit_code = nothing ? ExitNotCloud : ExitNoMetadata;
            return nullptr;
        }
        config.metadata_url = *url;
        // Named by the platform: every reach kind goes there.
        config.metadata_url_given = true;
    }
    if (cloud && cloud->ipv4_service && !config.metadata_url_given)
        config.metadata_url = cloud->ipv4_service;
    if (config.cloud) {
        platform_text = "forced " + std::string(config.cloud->name);
        return config.cloud;
    }
    if (!cloud) {
        log_noticef("not a cloud platform (DMI vendor '%s', product '%s'): nothing to do", printable(facts.dmi.sys_vendor).c_str(), printable(facts.dmi.product_name).c_str());
        return nullptr;
    }
    platform_text = std::string(cloud->name);
    return cloud;
}

// The NICs the real root's config may name, by MAC and kernel name: the same
// selection as DHCP's, so an enslaved link or a VF sharing its twin's MAC is
// never matched.
std::vector<SystemNic> system_nics_of(net::Netlink& netlink, const std::string& sysfs_root)
{
    std::vector<SystemNic> nics;
    if (auto selection = select_system_nics(netlink, sysfs_root)) {
        for (auto& link : selection->candidates) {
            if (!is_valid_interface_name(link.name))
                continue;
            // A net_failover master is virtio_net with VIRTIO_NET_F_STANDBY
            // (feature bit 62, the features file's 63rd character) and no
            // master of its own, which no candidate has (nic_selection.cpp).
            // https://www.kernel.org/doc/html/latest/networking/net_failover.html
            auto features = fs::read_small_file(sysfs_root + "/class/net/" + link.name + "/device/features");
            nics.push_back(SystemNic { link.mac, link.name, link.driver == "virtio_net" && features.size() > 62 && features[62] == '1', link.driver });
        }
    }
    return nics;
}

// How long the metadata service may take to accept a TCP connection before
// the lease in use is judged not to reach it, when another NIC's lease can be
// tried. A healthy link-local service answers in well under a millisecond;
// this leaves room for one lost SYN (Linux retransmits it after 1 s).
constexpr auto reach_probe_timeout = std::chrono::milliseconds(1500);

Result<AcquiredLease> finish_race(LeaseRace& race, AcquiredLease acquired, DeferredCloser& closer)
{
    race.finish(acquired.link.ifindex, closer);
    return acquired;
}

// How long a lease from another NIC waits for the primary NIC's, where the
// cloud names one. A cloud's DHCP server answers in milliseconds; a primary
// whose server is a second or two slower (a loaded host, one lost DISCOVER:
// the first retransmission is 1 s later) still wins, while a primary that
// gets no lease at all costs at most this.
constexpr auto primary_lease_grace = std::chrono::milliseconds(3000);

// --wait-root: how long after the start the write may still wait for the
// root. The run's own deadline is for the network; a root behind a slow
// disk, an fsck or a passphrase gets this long, and the unit's
// TimeoutStartSec (120 s) ends a run that hangs despite it.
constexpr auto root_wait_limit = std::chrono::seconds(100);
// --wait-root: how long the run may wait for a first NIC to appear (its
// driver loaded by udev meanwhile). Cloud NICs are probed well within it.
constexpr auto nic_wait_limit = std::chrono::seconds(10);

// The root-ready marker, looked for every 5 ms: the initrd creates it once
// (a path poll costs a few microseconds; inotify would be one more kind of
// file descriptor and two more system calls for the filter).
Status wait_for_root(const std::string& marker, Clock::time_point limit)
{
    for (;;) {
        if (fs::path_exists(marker))
            return {};
        if (Clock::now() >= limit)
            return Error::timeout(marker + " did not appear within " + std::to_string(duration_cast<std::chrono::seconds>(root_wait_limit).count()) + " s");
        timespec pause { 0, 5 * 1000 * 1000 };
        nanosleep(&pause, nullptr);
    }
}

// 3. Reach: the first lease that can reach the metadata service. DHCP goes on
// on every candidate; a lease whose link cannot connect to the service
// (refused, unreachable, no answer) is undone and the next one taken, all
// inside the one deadline. With a single candidate there is nothing to choose
// and no probe: the fetch itself retries.
// A candidate link that the initramfs configured before the run (dracut's
// ip=, an NFS or iSCSI root, klibc's ipconfig) is never raced, changed or
// torn down. When the service answers through the routes already in place,
// no lease is taken at all.
struct ConfiguredLink {
    net::LinkInfo link;
    Ipv4Prefix address;
};

// Candidate links that are up with a global IPv4 address before the run.
std::vector<ConfiguredLink> configured_links(net::Netlink& netlink, const std::string& sysfs_root)
{
    std::vector<ConfiguredLink> configured;
    auto addresses = netlink.ipv4_addresses();
    auto selection = select_system_nics(netlink, sysfs_root);
    if (addresses.is_error() || selection.is_error())
        return configured;
    for (auto& link : selection->candidates) {
        if (!(link.flags & IFF_UP))
            continue;
        for (auto& [ifindex, address] : *addresses) {
            if (ifindex == link.ifindex) {
                configured.push_back({ link, address });
                break;
            }
        }
    }
    return configured;
}

std::optional<AcquiredLease> reach_preconfigured(const std::vector<ConfiguredLink>& configured, AcquireOptions& options, const Result<http::Url>& endpoint)
{
    for (auto& [link, address] : configured) {
        log_infof("%s: configured before the run (%s): left as it is", link.name.c_str(), address.to_string().c_str());
        options.excluded.push_back(link.ifindex);
    }
    if (configured.empty() || endpoint.is_error())
        return std::nullopt;
    auto probe = net::probe_connect(endpoint->endpoint, std::min(Clock::now() + reach_probe_timeout, options.deadline));
    if (probe.is_error()) {
        log_infof("the metadata service is not reachable through the configuration in place (%s)", probe.error().message().c_str());
        return std::nullopt;
    }
    // The link the kernel would use for the service is not asked for: the
    // first configured one names the reach in the state and the summary.
    AcquiredLease reached;
    reached.link = configured.front().link;
    reached.lease.address = configured.front().address;
    reached.preconfigured = true;
    return reached;
}

Result<AcquiredLease> reach_by_lease(net::Netlink& netlink, const AcquireOptions& options, const Result<http::Url>& endpoint, DeferredCloser& closer, clouds::Reach kind)
{
    auto race = TRY(LeaseRace::start(netlink, options));
    for (;;) {
        auto acquired = race->next();
        if (acquired.is_error()) {
            race->finish(std::nullopt, closer);
            return acquired.release_error();
        }
        Status applied;
        {
            std::lock_guard lock(SignalWatcher::critical());
            applied = apply_lease(netlink, *acquired);
        }
        acquired->reach = kind;
        if (applied.ok() && kind == clouds::Reach::Dhcp4Routed && endpoint.ok())
            applied = add_service_route(netlink, *acquired, endpoint->endpoint.address);
        if (applied.is_error()) {
            race->finish(std::nullopt, closer);
            return applied.release_error().context("configuring " + acquired->link.name);
        }
        if (!race->has_more() || endpoint.is_error())
            return finish_race(*race, std::move(*acquired), closer);
        auto probe_deadline = std::min(Clock::now() + reach_probe_timeout, options.deadline);
        auto probe = net::probe_connect(endpoint->endpoint, probe_deadline);
        if (probe.ok())
            return finish_race(*race, std::move(*acquired), closer);
        log_infof("%s: the metadata service is not reachable through this lease (%s); trying the next", acquired->link.name.c_str(), probe.error().message().c_str());
        std::lock_guard lock(SignalWatcher::critical());
        if (auto undone = netlink.undo_link(acquired->link.ifindex); undone.is_error())
            log_warningf("%s: reverting: %s", acquired->link.name.c_str(), undone.error().message().c_str());
    }
}

// How long a kind that is not the last may take to reach the service: a
// cloud's DHCP server answers within milliseconds, and this still leaves
// room for two lost DISCOVERs (sent again after 1 s, then 2 s). Without it
// an IPv6-only instance, where no DHCPv4 server answers, would spend the
// whole deadline on the lease.
constexpr auto non_last_kind_limit = std::chrono::milliseconds(4500);

// The cloud's reach kinds (or the forced ones) in order: the first that
// reaches the service wins, each failed one reverted before the next. Each
// kind goes to the service's URL for its IP version (the row's, unless the
// URL was given or the platform names it), and the one that won is the
// run's metadata URL. (Out of line on purpose: inlined into run_command it
// costs 700 bytes more.)
[[gnu::noinline]] Result<AcquiredLease> reach_phase(net::Netlink& netlink, AcquireOptions options, const std::vector<ConfiguredLink>& configured, Config& config,
    DeferredCloser& closer, clouds::ReachList kinds, const clouds::Cloud& cloud)
{
    auto ipv4_endpoint = http::Url::parse(config.metadata_url);
    if (auto reached = reach_preconfigured(configured, options, ipv4_endpoint))
        return *reached;
    Error last = Error::invalid("no way to reach the metadata service");
    auto run_deadline = options.deadline;
    for (unsigned i = 0; i < kinds.size(); ++i) {
        auto kind = kinds[i];
        bool last_kind = i + 1 == kinds.size();
        options.deadline = last_kind ? run_deadline : std::min(run_deadline, Clock::now() + non_last_kind_limit);
        // The IPv4 kinds' URL is config.metadata_url already (choose_cloud).
        const char* row = is_ipv6(kind) && !config.metadata_url_given ? row_service(cloud, kind) : nullptr;
        auto endpoint = row ? http::Url::parse(row) : ipv4_endpoint;
        bool leased = kind == clouds::Reach::Dhcp4Lease || kind == clouds::Reach::Dhcp4Routed;
        auto reached = leased ? reach_by_lease(netlink, options, endpoint, closer, kind)
                              : reach_on_link(netlink, options, kind, endpoint.ok() ? endpoint->endpoint : http::Endpoint {}, closer);
        // A link-local kind that worked but is not the last must show that
        // it reaches the service, or the next one gets its turn. A lease is
        // taken as it is, as cloud-init takes its lease: the kind after it
        // is for a network with no DHCPv4 at all (EC2's and Scaleway's
        // IPv6-only instances), so the common case costs no extra
        // connection, and a service that fails behind the lease is reported
        // as such (exit 3).
        if (reached.ok() && !last_kind && !leased && endpoint.ok()) {
            auto probe = net::probe_connect(endpoint->endpoint, std::min(Clock::now() + reach_probe_timeout, run_deadline), uint32_t(reached->link.ifindex));
            if (probe.is_error()) {
                std::lock_guard lock(SignalWatcher::critical());
                (void)netlink.undo_link(reached->link.ifindex);
                reached = probe.release_error().context("the metadata service is not reachable");
            }
        }
        if (reached.ok()) {
            if (row)
                config.metadata_url = row;
            return reached;
        }
        last = reached.release_error();
        // One kind (every cloud's today) fails as the lease always did.
        if (kinds.size() > 1) {
            last = last.context(std::string(reach_name(kind)));
            log_info(last.message());
        }
    }
    return last;
}

// 4. Metadata, through one keep-alive connection, before the deadline.
Result<InstanceMetadata> fetch_phase(const Config& config, const clouds::Cloud& cloud, clouds::FetchOptions& options, Clock::time_point deadline,
    clouds::FetchStats& stats, int ifindex)
{
    options.base_url = config.metadata_url;
    options.crawl_full = config.crawl_full;
    options.pipelining = config.pipelining;
    net::TcpTransport transport { uint32_t(ifindex) };
    net::SystemTime time_source;
    auto fetched = clouds::fetch_metadata(cloud, options, transport, time_source, deadline, stats);
    transport.close();
    for (auto& w : stats.warnings)
        log_warning(w);
    return fetched;
}

render::RootView view_of(const fs::Root& root)
{
    return render::RootView {
        [&root](std::string_view path) { return root.exists(path); },
        [&root](std::string_view path) { return root.is_directory(path); },
        [&root](std::string_view path) { return root.read_file(path); },
        [&root](std::string_view path) { return root.list_directory(path).value_or(std::vector<std::string>()); },
    };
}

// With the root on iSCSI or NFS, the links configured before the run carry
// it: their config must keep them up while the real root starts its network.
std::vector<MacAddress> critical_macs_of(const Config& config, const std::vector<ConfiguredLink>& configured)
{
    std::vector<MacAddress> macs;
    auto cmdline = fs::read_kernel_cmdline(config.cmdline_path);
    // initramfs-tools' open-iscsi hook copies the root's iSCSI settings to
    // /etc/iscsi.initramfs inside the initramfs.
    NetworkRootFacts facts { cmdline, fs::path_exists(config.sysfs_root + "/firmware/ibft"), fs::path_exists("/etc/iscsi.initramfs") };
    if (!root_is_on_network(facts))
        return macs;
    for (auto& link : configured)
        macs.push_back(link.link.mac);
    return macs;
}

// The hand-off file, by name, for the writer to remove.
fs::Sweep handoff_sweep()
{
    return { "etc/cloud/cloud.cfg.d", "99-metaboot-network-handoff", ".cfg" };
}

// --cloud-init-handoff: metaboot wrote the network config, so cloud-init's
// network stage in the real root must write none (cloud-init's
// "network: {config: disabled}", which its _find_networking_config() reads
// from the system config before the datasource's). Without the flag, a
// hand-off left by an earlier boot is removed, so cloud-init configures the
// network again.
void add_cloud_init_handoff(const Config& config, const render::RootView& view, const std::vector<const render::Format*>& formats,
    std::vector<FileContent>& root_files, std::vector<fs::Sweep>& root_sweeps)
{
    if (!config.cloud_init_handoff) {
        if (view.exists(fs::cloud_init_handoff_path))
            root_sweeps.push_back(handoff_sweep());
        return;
    }
    if (!view.exists("etc/cloud/cloud.cfg") && !view.is_directory("etc/cloud/cloud.cfg.d")) {
        log_info("--cloud-init-handoff: the root has no cloud-init configuration; nothing handed off");
        return;
    }
    std::string names;
    for (const auto* format : formats)
        names += (names.empty() ? "" : ", ") + std::string(format->name);
    std::string text = std::string(fs::cloud_init_handoff_marker)
        + "# Written by metaboot in the initramfs: it wrote this boot's network\n# configuration ("
        + names
        + "), so cloud-init writes none. metaboot removes this\n"
          "# file at a boot where it runs without --cloud-init-handoff; remove it\n"
          "# yourself when you remove metaboot.\n"
          "network: {config: disabled}\n";
    root_files.push_back({ fs::cloud_init_handoff_path, std::move(text), 0644 });
}

// Where files go that have a runtime place. Into the root by default: a
// later boot whose run fails still finds the last config there. Under
// /run with --runtime, and by default when the root will run SELinux
// enforcing: a file written from the initramfs, before any policy is loaded,
// carries no label, and NetworkManager or networkd would be denied it, while
// systemd relabels /run when it loads the policy (mount-setup.c).
render::Persistence choose_persistence(const Config& config, const render::RootView& view, const std::vector<const render::Format*>& formats)
{
    auto persistence = render::Persistence::Persistent;
    if (config.runtime) {
        persistence = render::Persistence::Runtime;
    } else if (!config.persistent) {
        auto selinux = view.read_file("etc/selinux/config");
        if (selinux.ok() && *selinux && fs::selinux_enforcing(**selinux, fs::read_kernel_cmdline(config.cmdline_path))) {
            log_info("the root runs SELinux enforcing: writing under /run, which systemd labels when it loads the policy (--persistent: into the root)");
            persistence = render::Persistence::Runtime;
        }
    }
    if (persistence == render::Persistence::Persistent)
        return persistence;
    // networkd reads etc/ before run/, and NetworkManager would hold two
    // profiles for one NIC: files left in the root by an earlier boot (or by
    // cloud-init) would win over or race the ones written now.
    for (const auto* format : formats) {
        for (const auto& owned : format->owned_persistent) {
            for (const auto& name : view.list(owned.directory)) {
                if (name.starts_with(owned.prefix) && name.ends_with(owned.suffix))
                    log_warningf("%.*s/%s in the root shadows the files written under /run; remove it", int(owned.directory.size()), owned.directory.data(), name.c_str());
            }
        }
    }
    return persistence;
}

// 5. Render and write into the root: the cloud's mapping, then every chosen
// format's files, each written atomically. Returns the exit code.
int write_network_phase(const Config& config, const clouds::Cloud& cloud, const InstanceMetadata& instance, const std::vector<SystemNic>& system_nics,
    const AcquiredLease& acquired, const std::vector<MacAddress>& critical_macs, std::vector<std::string>& written)
{
    const net::LinkInfo& leased_link = acquired.link;
    MappingOptions mapping;
    mapping.policy_routing = config.policy_routing;
    mapping.leased_mac = leased_link.mac;
    if (!acquired.lease.address.address().is_unspecified())
        mapping.leased_address = acquired.lease.address.address();
    mapping.network_root = !critical_macs.empty();
    auto network = cloud.map_network(instance, system_nics, mapping);
    if (network.is_error()) {
        // Values the renderers refuse never reach a file; the leased NIC
        // still gets DHCP, which is what the image would do on its own.
        log_warningf("network metadata refused (%s); writing DHCP on %s", network.error().message().c_str(), leased_link.name.c_str());
        network = fallback_network(system_nics, mapping);
    }
    if (network.is_error()) {
        log_errorf("rendering: %s", network.error().message().c_str());
        return ExitWriteFailed;
    }
    for (auto& mac : network->skipped_macs)
        log_infof("metadata NIC %s is not on this system: skipped", mac.to_string().c_str());
    for (auto& interface : network->interfaces) {
        if (interface.match_mac && std::find(critical_macs.begin(), critical_macs.end(), *interface.match_mac) != critical_macs.end()) {
            interface.critical = true;
            log_infof("%s: carries the root filesystem: kept configured while the real root's network starts", interface.name.c_str());
        }
    }

    auto root = fs::Root::open(config.root);
    if (root.is_error()) {
        log_errorf("writing: %s", root.error().message().c_str());
        return ExitWriteFailed;
    }
    auto view = view_of(*root);
    auto opted_out = fs::cloud_init_network_opt_out(*root);
    if (opted_out.is_error()) {
        log_errorf("writing: %s", opted_out.error().message().c_str());
        return ExitWriteFailed;
    }
    if (*opted_out) {
        log_notice("network config disabled by " + **opted_out);
        return ExitOk;
    }
    std::vector<const render::Format*> formats;
    if (config.outputs) {
        formats = *config.outputs;
    } else {
        auto stack = render::detect_stack(view);
        if (!stack.format) {
            std::string looked;
            for (auto& line : stack.passed_over)
                looked += (looked.empty() ? "" : "; ") + line;
            log_warningf("no network config written: the root runs no network stack metaboot writes for (%s); choose one with --output or rd.metaboot.output=", looked.c_str());
            // A hand-off left by an earlier boot would keep cloud-init off
            // the network now that metaboot writes none.
            if (view.exists(fs::cloud_init_handoff_path)) {
                std::lock_guard lock(SignalWatcher::critical());
                auto swept = fs::write_files(config.root, {}, fs::Remount::IfReadOnly, { handoff_sweep() });
                if (swept.is_error())
                    log_warningf("removing the cloud-init hand-off: %s", swept.error().message().c_str());
            }
            return ExitNoNetworkStack;
        }
        for (auto& line : stack.passed_over)
            log_debug("stack: " + line);
        log_infof("writing %.*s: %s", int(stack.format->name.size()), stack.format->name.data(), stack.reason.c_str());
        formats.push_back(stack.format);
    }

    std::vector<FileContent> root_files, runtime_files;
    std::vector<fs::Sweep> root_sweeps, runtime_sweeps;
    auto persistence = choose_persistence(config, view, formats);
    for (const render::Format* format : formats) {
        auto files = format->render(*network, view, persistence);
        if (files.is_error()) {
            log_errorf("rendering %.*s: %s", int(format->name.size()), format->name.data(), files.error().message().c_str());
            return ExitWriteFailed;
        }
        for (auto& file : *files)
            (file.place == render::Place::Runtime ? runtime_files : root_files).push_back(std::move(file.content));
        for (const auto& owned : format->owned(persistence))
            (owned.place == render::Place::Runtime ? runtime_sweeps : root_sweeps)
                .push_back({ std::string(owned.directory), std::string(owned.prefix), std::string(owned.suffix) });
    }

    add_cloud_init_handoff(config, view, formats, root_files, root_sweeps);

    std::lock_guard lock(SignalWatcher::critical());
    for (auto [directory, files, sweeps, remount] : { std::tuple { runtime_root, &runtime_files, &runtime_sweeps, fs::Remount::Never },
             std::tuple { config.root.c_str(), &root_files, &root_sweeps, fs::Remount::IfReadOnly } }) {
        // The real root's write phase, from remount to read-only again,
        // between two lines on the console (the power-cut boot test kills
        // the machine between them).
        bool on_root = remount == fs::Remount::IfReadOnly;
        if (on_root)
            log_infof("writing %zu files under %s", files->size(), directory);
        auto report = fs::write_files(directory, *files, remount, *sweeps);
        if (report.is_error()) {
            log_errorf("writing: %s", report.error().message().c_str());
            return ExitWriteFailed;
        }
        if (on_root)
            log_infof("written under %s", directory);
        for (auto& file : report->files)
            written.push_back(file.path);
        for (auto& path : report->removed)
            log_infof("removed %s: written by an earlier boot for a NIC that is gone", path.c_str());
    }
    return ExitOk;
}

// What cloud-init's instance-data says of the system: the real root's
// os-release (os-release(5): etc/, else usr/lib/) and the running kernel.
HostFacts host_facts(const Config& config)
{
    HostFacts host;
    if (auto root = fs::Root::open(config.root); !config.root.empty() && root.ok()) {
        for (const char* path : { "etc/os-release", "usr/lib/os-release" }) {
            auto text = root->read_file(path, 64 << 10);
            if (text.ok() && *text) {
                host.os_release = std::move(**text);
                break;
            }
        }
    }
    struct utsname names;
    if (::uname(&names) == 0) {
        host.kernel_release = names.release;
        host.machine = names.machine;
    }
    return host;
}

// 6. State for the real root (survives switch_root in /run): metaboot's own
// files, and cloud-init's instance-data for scripts and templates written
// against it (the user-data only in the 0600 one).
int write_state_phase(const Config& config, const clouds::Cloud& cloud, const InstanceMetadata& instance, const std::string& lease_json,
    const PhaseClock& phases)
{
    CloudInitNames names { cloud.cloud_init_name, cloud.cloud_init_platform, config.metadata_url };
    auto host = host_facts(config);
    std::vector<FileContent> files {
        { "metadata.json", metadata_to_json(instance), 0644 },
        { "lease.json", lease_json, 0644 },
        { "timings.json", phases.json(), 0644 },
        { "instance-data.json", cloud_init_instance_data(instance, names, host, false), 0644 },
        { "instance-data-sensitive.json", cloud_init_instance_data(instance, names, host, true), 0600 },
    };
    // 0600: user-data often holds secrets.
    if (instance.user_data)
        files.push_back({ "user-data", *instance.user_data, 0600 });
    std::lock_guard lock(SignalWatcher::critical());
    auto state = fs::write_state(config.state_dir, files);
    if (state.is_error()) {
        log_errorf("writing state: %s", state.error().message().c_str());
        return ExitWriteFailed;
    }
    return ExitOk;
}

struct RunSummary {
    int exit_code { ExitOk };
    std::string platform;
    const net::LinkInfo* link { nullptr };
    const dhcp::Lease* lease { nullptr };
    std::string_view reach;
    std::string lease_json;
    const InstanceMetadata* instance { nullptr };
    const clouds::FetchStats* stats { nullptr };
    std::vector<std::string> written;
};

// 8. Summary: one log line, and one line on stdout (JSON with --json).
void print_summary(const Config& config, const RunSummary& run, const PhaseClock& phases)
{
    // The kinds without an IPv4 address are named instead.
    std::string summary = run.link->name + " " + (run.lease->address.address().is_unspecified() ? std::string(run.reach) : run.lease->address.to_string()) + ", " + run.instance->cloud + " " + run.instance->api_version + ", "
        + std::to_string(run.instance->nics.size()) + " NICs, " + std::to_string(run.stats->requests) + " requests, " + std::to_string(run.written.size())
        + " files" + (run.exit_code == ExitNoNetworkStack ? " (no network stack in the root)" : "")
        + (config.keep_lease && (run.exit_code == ExitOk || run.exit_code == ExitNoNetworkStack) ? ", lease kept" : "") + ": " + phases.text();
    log_notice(summary);
    if (!config.json) {
        std::printf("metaboot: %s\n", summary.c_str());
        std::fflush(stdout);
        return;
    }
    JsonWriter json;
    json.open_object();
    json.field("exit", uint64_t(run.exit_code));
    json.field("platform", run.platform);
    json.key("lease");
    json.raw(run.lease_json);
    json.key("metadata");
    write_metadata(json, *run.instance);
    json.field("requests", uint64_t(run.stats->requests));
    json.field("connections", uint64_t(run.stats->connections));
    json.key("files");
    json.string_list(run.written);
    json.key("warnings");
    json.string_list(run.stats->warnings);
    json.key("request_timings");
    write_request_timings(json, *run.stats);
    json.key("timings_ms");
    phases.write(json);
    json.close_object();
    std::printf("%s\n", json.release().c_str());
    std::fflush(stdout);
}

void print_not_cloud(const Config& config, const PhaseClock& phases)
{
    if (config.json) {
        JsonWriter json;
        json.open_object();
        json.field("exit", uint64_t(ExitNotCloud));
        json.field("platform", "unknown");
        json.key("timings_ms");
        phases.write(json);
        json.close_object();
        std::printf("%s\n", json.release().c_str());
    } else if (config.quiet) {
        // `quiet` on the kernel command line: a machine that is not a cloud
        // boots with nothing from metaboot on its console (the notice still
        // reaches the kernel log at its level).
        log_noticef("not a cloud platform, nothing done (%lld ms)", (long long)phases.total());
    } else {
        std::printf("metaboot: not a cloud platform, nothing done (%lld ms)\n", phases.total());
    }
}

}

int run_command(const Args& args)
{
    auto started = Clock::now();
    PhaseClock phases(started);

    // 1. Configuration: flags over the kernel command line over defaults.
    std::vector<std::string> warnings;
    auto loaded = load_run_config(args, [](const std::string& path) { return fs::read_kernel_cmdline(path); }, warnings);
    if (loaded.is_error()) {
        std::fprintf(stderr, "metaboot: %s\n", loaded.error().message().c_str());
        return help_command(stderr, ExitUsage);
    }
    Config& config = *loaded;
    if (config.help)
        return help_command(stdout, ExitOk);
    log_open(config.verbose);
    for (auto& w : warnings)
        log_warning(w);
    if (config.disabled) {
        log_notice("disabled on the kernel command line (rd.metaboot=0)");
        return ExitOk;
    }
    bool output_none = config.outputs && config.outputs->empty();
    bool write_network = config.network_config && !output_none;
    if (write_network && config.root.empty()) {
        std::fprintf(stderr, "metaboot: --root is required unless --output none\n");
        return help_command(stderr, ExitUsage);
    }
    auto deadline = started + duration_cast<Clock::duration>(std::chrono::duration<double>(config.timeout_seconds));

    // 2. Platform.
    RunSummary run;
    int platform_exit = ExitNotCloud;
    clouds::FetchOptions fetch_options;
    const clouds::Cloud* cloud = choose_cloud(config, fetch_options, run.platform, platform_exit);
    if (!cloud) {
        if (platform_exit == ExitNotCloud)
            print_not_cloud(config, phases);
        return platform_exit;
    }
    phases.mark("platform");

    // Without rd.metaboot.overlap=1 the network waits for the root, as
    // without --wait-root.
    if (!config.wait_root.empty() && !config.overlap) {
        if (auto ready = wait_for_root(config.wait_root, started + root_wait_limit); ready.is_error()) {
            log_errorf("the root was not ready: %s; nothing done", ready.error().message().c_str());
            return ExitWriteFailed;
        }
        log_info("the root is ready (" + config.wait_root + ")");
        phases.mark("root");
    }

    // 3. Reach: a DHCPv4 lease, torn down on every path out (the scope).
    auto scope = LeaseScope::open();
    if (scope.is_error()) {
        log_errorf("no lease: %s", scope.error().message().c_str());
        return ExitNoLease;
    }
    auto& netlink = (*scope)->netlink();
    auto& closer = (*scope)->closer();
    auto system_nics = system_nics_of(netlink, config.sysfs_root);
    auto keep = config.keep_lease ? KeepLease::Yes : KeepLease::No;
    auto teardown = [&](int exit_code) { return (*scope)->finish(exit_code, keep); };

    AcquireOptions acquire_options;
    acquire_options.scope = scope->get();
    acquire_options.interfaces = config.interfaces;
    acquire_options.sysfs_root = config.sysfs_root;
    acquire_options.deadline = deadline;
    if (cloud->primary_nic == clouds::PrimaryNic::FirstInterface && config.interfaces.empty())
        acquire_options.primary_grace = primary_lease_grace;
    if (!config.wait_root.empty() && config.overlap) {
        acquire_options.nic_wait = nic_wait_limit;
        // systemd-udevd's database (a test points it elsewhere).
        const char* udev_data = std::getenv("METABOOT_UDEV_DATA");
        acquire_options.udev_data = udev_data ? udev_data : "/run/udev/data";
    }
    // A link configured before the run is looked at before anything changes.
    auto configured = configured_links(netlink, config.sysfs_root);
    auto acquired = reach_phase(netlink, acquire_options, configured, config, closer, config.reach.size() ? config.reach : cloud->reach, *cloud);
    if (acquired.is_error()) {
        log_errorf("no lease: %s", acquired.error().message().c_str());
        return teardown(ExitNoLease);
    }
    if (acquired->preconfigured)
        log_infof("%s: the metadata service answers through the configuration in place; no lease taken", acquired->link.name.c_str());
    else if (acquired->lease.server_id.is_unspecified())
        log_infof("%s: reached by %.*s", acquired->link.name.c_str(), int(reach_name(acquired->reach).size()), reach_name(acquired->reach).data());
    else
        log_infof("%s: leased %s from %s", acquired->link.name.c_str(), acquired->lease.address.to_string().c_str(), acquired->lease.server_id.to_string().c_str());
    phases.mark("dhcp");

    // 4. Metadata.
    clouds::FetchStats stats;
    auto fetched = fetch_phase(config, *cloud, fetch_options, deadline, stats, acquired->link.ifindex);
    if (fetched.is_error()) {
        log_errorf("no metadata: %s", fetched.error().message().c_str());
        return teardown(ExitNoMetadata);
    }
    phases.mark("metadata");

    // With --wait-root the network has done its part: tear it down now,
    // then wait for the root (mounted meanwhile by the initrd) and look at
    // the NICs again, since some may have appeared after the run began.
    int torn_down = ExitOk;
    if (!config.wait_root.empty()) {
        if (config.release && !acquired->preconfigured) {
            if (auto released = send_release(*acquired); released.is_error())
                log_warning("release: " + released.error().message());
        }
        torn_down = teardown(ExitOk);
        phases.mark("teardown");
        if (config.overlap) {
            if (auto ready = wait_for_root(config.wait_root, started + root_wait_limit); ready.is_error()) {
                log_errorf("the root was not ready: %s; nothing written", ready.error().message().c_str());
                return torn_down == ExitOk ? ExitWriteFailed : torn_down;
            }
            log_info("the root is ready (" + config.wait_root + ")");
            phases.mark("root");
        }
        system_nics = system_nics_of(netlink, config.sysfs_root);
    }

    // 5. Render and write.
    if (write_network)
        run.exit_code = write_network_phase(config, *cloud, *fetched, system_nics, *acquired, critical_macs_of(config, configured), run.written);
    else
        log_info(output_none ? "--output none: no network config written" : "rd.metaboot.network=0: no network config written");
    phases.mark("write");

    // 6. State.
    run.lease_json = lease_to_json(*acquired);
    if (int state = write_state_phase(config, *cloud, *fetched, run.lease_json, phases); state != ExitOk)
        run.exit_code = state;
    phases.mark("state");

    // 7. Teardown (done already with --wait-root).
    if (config.wait_root.empty()) {
        if (config.release && !acquired->preconfigured) {
            auto released = send_release(*acquired);
            if (released.is_error())
                log_warning("release: " + released.error().message());
        }
        run.exit_code = teardown(run.exit_code);
        phases.mark("teardown");
    } else if (run.exit_code == ExitOk) {
        run.exit_code = torn_down;
    }

    // 8. Summary.
    run.link = &acquired->link;
    run.lease = &acquired->lease;
    run.reach = reach_name(acquired->reach);
    run.instance = &*fetched;
    run.stats = &stats;
    print_summary(config, run, phases);
    return run.exit_code;
}

}
