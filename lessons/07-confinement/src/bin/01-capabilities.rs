//! Step 1: capabilities. Root's power comes in about forty pieces (capabilities(7)); the
//! kernel checks the one an operation needs, not "is uid 0". A child process keeps Docker's
//! 14 and drops the rest — bounding set first, then its own sets — and `mount(2)` (which
//! needs `CAP_SYS_ADMIN`) stops working, although it is still uid 0.
//!
//! Run:  cargo run -p confinement --bin 01-capabilities
//! Look for: `inside: mount before=ok after=EPERM uid=0`, and from outside the child's five
//! sets: CapEff, CapPrm and CapBnd hold 14 capabilities, CapInh and CapAmb none.
//! Read: capabilities(7), capget(2), prctl(2) PR_CAPBSET_DROP, and `src/capabilities.rs`.

use confinement::capabilities::{self, limit_bounding_set, set_process_capabilities};
use confinement::{Status, status};
use namespaces::Namespace;
use namespaces::process::{Gate, spawn};
use nix::mount::{MsFlags, mount};

/// Mounts a tmpfs on /mnt (in the child's own mount namespace) and says how it went.
fn try_mount() -> String {
    let flags = MsFlags::empty();
    match mount(Some("tmpfs"), "/mnt", Some("tmpfs"), flags, None::<&str>) {
        Ok(()) => "ok".into(),
        Err(e) => format!("{e:?}"),
    }
}

fn show(who: &str, status: &Status) {
    let sets = &status.caps;
    println!(
        "{who}: CapInh={} CapPrm={} CapEff={} CapBnd={} CapAmb={} sys_admin={}",
        sets.inheritable.len(),
        sets.permitted.len(),
        sets.effective.len(),
        sets.bounding.len(),
        sets.ambient.len(),
        sets.effective.contains(&caps::Capability::CAP_SYS_ADMIN)
    );
}

fn main() -> anyhow::Result<()> {
    namespaces::privilege::require_root("changing capabilities")?;
    let keep = capabilities::capability_set(&[], &[], false)?;
    println!("Docker keeps {}", capabilities::names(&keep));
    show("outside: this process", &status::Status::of(None)?);

    let (ready, go) = (Gate::new()?, Gate::new()?);
    // A new mount namespace, so the one mount that succeeds never touches the host.
    let child = spawn(&[Namespace::Mount], || {
        if namespaces::mounts::make_private().is_err() {
            return 1;
        }
        let before = try_mount();
        // ANCHOR: drop
        if let Err(e) =
            limit_bounding_set(&keep).and_then(|_| set_process_capabilities(&keep, true))
        {
            eprintln!("inside: {e}");
            return 1;
        }
        // ANCHOR_END: drop
        let after = try_mount();
        let uid = nix::unistd::getuid();
        println!("inside: mount before={before} after={after} uid={uid}");
        // Stay alive until the parent has looked at us from outside.
        if ready.open().is_err() || !go.wait() {
            return 1;
        }
        0
    })?;
    ready.wait();
    let seen = Status::of(Some(child.pid().as_raw()))?;
    show("outside: the child", &seen);
    println!(
        "outside: the child's CapEff = {}",
        capabilities::names(&seen.caps.effective)
    );
    go.open()?;
    let code = child.wait()?;
    anyhow::ensure!(code == 0, "the child failed with exit code {code}");
    Ok(())
}
