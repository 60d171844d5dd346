//! Lesson 00: the doctor — does this machine have everything the kit needs?
//!
//! An instructor runs `cargo doctor` on every laptop before a workshop. Each check asks the
//! kernel directly (uname(2), statfs(2), `/proc/self/mountinfo`, unshare(2), mount(2),
//! rtnetlink(7), the KVM ioctls) and, where it can, *proves* a feature by using it once in a
//! throwaway place: an overlay mount in a private mount namespace, a veth pair and a bridge in a
//! network namespace that disappears with the thread that made it.
//!
//! Every check is one [`Check`]: an id, whether the kit *requires* it or merely *uses* it
//! ([`Requirement`]), whether it passed ([`Status`]), a one-line finding, and the exact fix when
//! it did not pass. The families live in one module each:
//!
//! - [`host`]: root (or sudo for the kit's runner) and the kernel version;
//! - [`cgroups`]: the cgroup layout (v2 unified, v1, or hybrid) and the memory/cpu/pids
//!   controllers;
//! - [`overlay`]: overlayfs, proven with a tiny real mount;
//! - [`namespaces`]: the namespace kinds, and whether root can create them;
//! - [`userns`]: whether an unprivileged user may make a user namespace and use it;
//! - [`netdev`]: veth pairs and bridges, proven inside a throwaway network namespace;
//! - [`kvm`]: `/dev/kvm`, probed in a child with a deadline (a nested KVM can hang);
//! - [`tools`]: the programs the lessons and tests call (busybox-static, ip, nft, skopeo…).
//!
//! # Required or optional
//!
//! **Required** means a lesson's steps cannot run without it: root (or sudo), Linux ≥ 5.11,
//! a mounted cgroup hierarchy with the memory, cpu and pids controllers, overlayfs, the seven
//! namespace kinds, veth and bridge devices, and the programs `busybox` (static), `ip` and
//! `nft`. **Optional** means the kit uses it for one exercise, a cross-check or a comparison,
//! and says so when it is missing: unprivileged user namespaces, KVM, and the programs skopeo,
//! umoci, docker-registry, runc, crun, qemu-system-x86_64, iptables and mdbook.
//! [`Report::ready`] is true (and `doctor` exits 0) when nothing required is missing.
//!
//! # Using it from other code
//!
//! ```no_run
//! let report = doctor::Report::new(doctor::run_all());
//! for check in report.missing_required() {
//!     eprintln!("{}: {}", check.id, check.fix.as_deref().unwrap_or(""));
//! }
//! ```

pub mod cgroups;
pub mod check;
mod child;
pub mod elf;
pub mod error;
pub mod host;
pub mod kvm;
pub mod mountinfo;
pub mod namespaces;
pub mod netdev;
pub mod overlay;
pub mod report;
pub mod tools;
pub mod userns;

pub use check::{Check, Requirement, Status};
pub use error::{Error, Result};
pub use report::Report;

/// Runs every check, in the order the lessons need them, and returns their results.
///
/// Checks that prove a feature (overlay mount, veth pair, unshare) need root; without it they
/// fall back to weaker evidence (`/proc/filesystems`, kernel modules) and say so in their
/// summary. Nothing a check creates outlives the call: mounts and links live in private
/// namespaces, probes run in child processes that are reaped (or killed at their deadline).
pub fn run_all() -> Vec<Check> {
    let mut checks = vec![host::privileges(), host::kernel()];
    checks.extend(cgroups::checks());
    checks.push(overlay::check());
    checks.push(namespaces::kinds());
    checks.push(userns::unprivileged_user());
    checks.push(netdev::check());
    checks.push(kvm::check());
    checks.extend(tools::checks());
    checks
}
