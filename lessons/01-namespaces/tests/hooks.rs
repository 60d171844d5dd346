//! The engine's side of lesson 01's container — hooks, stdio, console, init, the "past execve"
//! start, exec errors, and joining a running container — checked in the kernel: mount tables,
//! namespace inodes, `/proc/PID/exe`, session ids, file contents.
//!
//! clone(2) and fork(2) copy only the calling thread, so these tests must run in a
//! single-threaded process: this file has no libtest harness (`harness = false`); `main` runs
//! each test in turn, and a failed assertion fails the whole file.

use namespaces::console::{Console, ConsoleSocket, Size};
use namespaces::container::{ContainerSpec, create_with};
use namespaces::hooks::{HookResult, Hooks, NoHooks};
use namespaces::join::{JoinSpec, join};
use namespaces::{Namespace, rootfs};
use nix::mount::MsFlags;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn main() {
    let tests: [(&str, fn()); 15] = [
        (
            "a_prepare_root_hook_fills_an_empty_root_inside_the_child_only",
            prepare_root,
        ),
        (
            "a_before_pivot_hook_binds_a_host_file_over_the_images",
            before_pivot,
        ),
        (
            "hooks_run_in_order_and_confine_runs_as_the_final_user",
            hook_order,
        ),
        (
            "a_failing_hook_stops_the_container_with_125_and_its_reason",
            failing_hook,
        ),
        ("stdio_fds_become_0_1_2_in_a_new_session", stdio_and_session),
        (
            "start_returns_only_once_the_command_is_exec_d",
            start_waits_for_execve,
        ),
        (
            "two_containers_held_at_once_start_in_any_order",
            two_held_at_once,
        ),
        (
            "a_switch_user_hook_replaces_lesson_01s_own",
            own_user_switch,
        ),
        (
            "the_cgroup_namespace_is_entered_at_clone_or_once_released",
            cgroup_ns_after_release,
        ),
        (
            "set_up_before_release_makes_the_root_while_held_and_still_reports_failures",
            set_up_before_release,
        ),
        ("exec_failures_name_what_the_errno_means", exec_errors),
        (
            "an_argument_with_a_nul_byte_is_refused_before_cloning",
            nul_refused,
        ),
        ("init_runs_the_command_as_pid_2", init_pid_2),
        ("a_console_is_a_pty_of_the_containers_own_devpts", console),
        (
            "join_runs_a_command_in_a_running_containers_namespaces",
            join_running,
        ),
    ];
    for (name, test) in tests {
        eprint!("test {name} ... ");
        test();
        eprintln!("ok");
    }
}

fn busybox() -> PathBuf {
    rootfs::busybox_rootfs().expect("busybox root filesystem")
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn pipe() -> (OwnedFd, OwnedFd) {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap()
}

/// Runs `spec` with `hooks`, its stdout and stderr going into a pipe; returns the exit code and
/// what it printed.
fn run(spec: &mut ContainerSpec, hooks: &dyn Hooks) -> (i32, String) {
    let (read_end, write_end) = pipe();
    let null = File::open("/dev/null").unwrap();
    spec.stdio = Some([
        null.as_raw_fd(),
        write_end.as_raw_fd(),
        write_end.as_raw_fd(),
    ]);
    let created = create_with(spec, hooks).expect("create");
    drop(write_end); // only the container holds it now: end-of-file when it is done
    let running = created.start().expect("start");
    let mut out = String::new();
    File::from(read_end).read_to_string(&mut out).unwrap();
    (running.wait().unwrap(), out)
}

fn mount_table() -> String {
    std::fs::read_to_string("/proc/self/mountinfo").unwrap()
}

/// Binds the busybox root filesystem onto the (empty) root: what an overlay mount does.
struct BindRoot(PathBuf);

impl Hooks for BindRoot {
    fn prepare_root(&self, root: &Path) -> HookResult {
        let flags = MsFlags::MS_BIND | MsFlags::MS_REC;
        nix::mount::mount(Some(&self.0), root, None::<&str>, flags, None::<&str>)?;
        Ok(())
    }
}

fn prepare_root() {
    let empty = tempfile::tempdir().unwrap();
    let before = mount_table();
    let mut spec = ContainerSpec::new(empty.path(), args(&["sh", "-c", "test -x /bin/busybox"]));
    let (code, out) = run(&mut spec, &BindRoot(busybox()));
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        mount_table(),
        before,
        "the root was mounted in the container only"
    );
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
}

/// Binds a host file over the image's `/etc/hosts`.
struct LendHosts(PathBuf);

impl Hooks for LendHosts {
    fn before_pivot(&self, root: &Path) -> HookResult {
        let target = root.join("etc/hosts");
        nix::mount::mount(
            Some(&self.0),
            &target,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )?;
        Ok(())
    }
}

fn before_pivot() {
    let dir = tempfile::tempdir().unwrap();
    let lent = dir.path().join("hosts");
    std::fs::write(&lent, "10.1.2.3 lent\n").unwrap();
    let image_hosts = std::fs::read_to_string(busybox().join("etc/hosts")).unwrap();
    let mut spec = ContainerSpec::new(busybox(), args(&["cat", "/etc/hosts"]));
    let (code, out) = run(&mut spec, &LendHosts(lent));
    assert_eq!((code, out.as_str()), (0, "10.1.2.3 lent\n"));
    let after = std::fs::read_to_string(busybox().join("etc/hosts")).unwrap();
    assert_eq!(after, image_hosts, "the image's own file is untouched");
}

/// Writes each hook's name and the effective uid it ran as into a pipe.
struct Recorder(RawFd);

impl Recorder {
    fn note(&self, what: &str) -> HookResult {
        let line = format!("{what}:{}\n", nix::unistd::geteuid());
        // SAFETY: the fd is the write end of a pipe the test keeps open until the container ends.
        nix::unistd::write(unsafe { BorrowedFd::borrow_raw(self.0) }, line.as_bytes())?;
        Ok(())
    }
}

impl Hooks for Recorder {
    fn prepare_root(&self, _: &Path) -> HookResult {
        self.note("prepare_root")
    }
    fn before_pivot(&self, _: &Path) -> HookResult {
        self.note("before_pivot")
    }
    fn after_pivot(&self) -> HookResult {
        self.note("after_pivot")
    }
    fn before_user_switch(&self) -> HookResult {
        self.note("before_user_switch")
    }
    fn confine(&self) -> HookResult {
        self.note("confine")
    }
}

/// Runs `spec` with the [`Recorder`] hooks; returns what they noted, in order, once it
/// exited 0.
fn recorded_hooks(spec: &mut ContainerSpec) -> String {
    let (read_end, write_end) = pipe();
    let (code, out) = run(spec, &Recorder(write_end.as_raw_fd()));
    assert_eq!(code, 0, "{out}");
    drop(write_end);
    let mut notes = String::new();
    File::from(read_end).read_to_string(&mut notes).unwrap();
    notes
}

fn hook_order() {
    let mut spec = ContainerSpec::new(busybox(), args(&["true"]));
    (spec.uid, spec.gid) = (65534, 65534);
    assert_eq!(
        recorded_hooks(&mut spec),
        "prepare_root:0\nbefore_pivot:0\nafter_pivot:0\nbefore_user_switch:0\nconfine:65534\n"
    );
}

struct Refuse;

impl Hooks for Refuse {
    fn after_pivot(&self) -> HookResult {
        Err("the hook refuses: fix the test".into())
    }
}

fn failing_hook() {
    let mut spec = ContainerSpec::new(busybox(), args(&["sh", "-c", "echo ran"]));
    let (code, out) = run(&mut spec, &Refuse);
    assert_eq!(code, 125);
    assert!(out.contains("the hook refuses: fix the test"), "{out}");
    assert!(!out.contains("ran"), "{out}");
}

fn stdio_and_session() {
    // /proc/self/stat field 6 is the session id: the command (pid 1) leads its own session.
    let script =
        "echo out; echo err >&2; cut -d' ' -f6 /proc/self/stat; cut -d' ' -f6 /proc/1/stat";
    let mut spec = ContainerSpec::new(busybox(), args(&["sh", "-c", script]));
    let (code, out) = run(&mut spec, &NoHooks);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..2], ["out", "err"], "{out}");
    assert_eq!(lines[3], "1", "pid 1 leads a session of its own: {out}");
}

fn start_waits_for_execve() {
    let spec = ContainerSpec::new(busybox(), args(&["sleep", "100"]));
    let created = create_with(&spec, &NoHooks).unwrap();
    let pid = created.pid();
    let exe = || std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
    assert_eq!(
        exe(),
        std::env::current_exe().unwrap(),
        "held back: still our copy"
    );
    let running = created.start().unwrap();
    // No polling: once start returns, execve(2) has happened.
    assert_eq!(exe(), Path::new("/bin/busybox"));
    kill(pid, Signal::SIGKILL).unwrap();
    assert_eq!(running.wait().unwrap(), 128 + 9);
}

fn two_held_at_once() {
    // A second clone must not inherit what tells the first one's start that it exec'd: if it
    // did, starting the first would wait for the second, still held back — forever. alarm(2)
    // turns such a hang into a failure (SIGALRM ends this process).
    nix::unistd::alarm::set(20);
    let spec = ContainerSpec::new(busybox(), args(&["sleep", "100"]));
    let first = create_with(&spec, &NoHooks).unwrap();
    let second = create_with(&spec, &NoHooks).unwrap();
    let first = first.start().unwrap();
    let second = second.start().unwrap();
    nix::unistd::alarm::cancel();
    for running in [first, second] {
        kill(running.pid(), Signal::SIGKILL).unwrap();
        assert_eq!(running.wait().unwrap(), 128 + 9);
    }
}

/// Switches to 2000:3000, whatever lesson 01 was asked for.
struct OwnSwitch;

impl Hooks for OwnSwitch {
    fn switch_user(&self, _uid: u32, _gid: u32, _in_userns: bool) -> HookResult {
        nix::unistd::setgroups(&[nix::unistd::Gid::from_raw(3000)])?;
        nix::unistd::setgid(nix::unistd::Gid::from_raw(3000))?;
        nix::unistd::setuid(nix::unistd::Uid::from_raw(2000))?;
        Ok(())
    }
}

fn own_user_switch() {
    let mut spec = ContainerSpec::new(busybox(), args(&["sh", "-c", "id -u; id -g; id -G"]));
    (spec.uid, spec.gid) = (1000, 1000);
    let (code, out) = run(&mut spec, &OwnSwitch);
    assert_eq!((code, out.as_str()), (0, "2000\n3000\n3000\n"));
}

fn cgroup_ns_after_release() {
    let ours = Namespace::Cgroup.inode(Pid::this()).unwrap();
    for after_release in [false, true] {
        let mut spec = ContainerSpec::new(busybox(), args(&["sleep", "100"]));
        spec.cgroupns_after_release = after_release;
        let created = create_with(&spec, &NoHooks).unwrap();
        let pid = created.pid();
        let held = Namespace::Cgroup.inode(pid).unwrap();
        assert_eq!(
            held == ours,
            after_release,
            "held back: after_release={after_release}"
        );
        let running = created.start().unwrap();
        assert_ne!(
            Namespace::Cgroup.inode(pid).unwrap(),
            ours,
            "its own once released"
        );
        kill(pid, Signal::SIGKILL).unwrap();
        running.wait().unwrap();
    }
}

struct RefuseBeforePivot;

impl Hooks for RefuseBeforePivot {
    fn before_pivot(&self, _root: &Path) -> HookResult {
        Err("the hook refuses before pivoting: fix the test".into())
    }
}

fn set_up_before_release() {
    use std::os::unix::fs::MetadataExt;
    let ours = Namespace::Cgroup.inode(Pid::this()).unwrap();
    let image = std::fs::metadata(busybox()).unwrap();
    let mut spec = ContainerSpec::new(busybox(), args(&["sleep", "100"]));
    (spec.cgroupns_after_release, spec.set_up_before_release) = (true, true);
    let created = create_with(&spec, &NoHooks).unwrap();
    let pid = created.pid();
    // Held back, it pivots into its root (its /proc/PID/root becomes the image's directory)…
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let pivoted = || {
        let root = std::fs::metadata(format!("/proc/{pid}/root/")).unwrap();
        (root.dev(), root.ino()) == (image.dev(), image.ino())
    };
    while !pivoted() {
        assert!(std::time::Instant::now() < deadline, "it never pivoted");
        std::thread::yield_now();
    }
    // …but the rest waits for the release: here, entering its own cgroup namespace.
    assert_eq!(Namespace::Cgroup.inode(pid).unwrap(), ours, "held back");
    let running = created.start().unwrap();
    assert_ne!(Namespace::Cgroup.inode(pid).unwrap(), ours, "released");
    kill(pid, Signal::SIGKILL).unwrap();
    running.wait().unwrap();

    // The hooks still run in their order, and a failure before the release still stops it
    // with 125 and its reason — reported once it is released, as without the option.
    let mut spec = ContainerSpec::new(busybox(), args(&["true"]));
    spec.set_up_before_release = true;
    assert_eq!(
        recorded_hooks(&mut spec),
        "prepare_root:0\nbefore_pivot:0\nafter_pivot:0\nbefore_user_switch:0\nconfine:0\n"
    );
    let mut spec = ContainerSpec::new(busybox(), args(&["sh", "-c", "echo ran"]));
    spec.set_up_before_release = true;
    let (code, out) = run(&mut spec, &RefuseBeforePivot);
    assert_eq!(code, 125);
    assert!(out.contains("the hook refuses before pivoting"), "{out}");
    assert!(!out.contains("ran"), "{out}");
}

fn exec_errors() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    rootfs::build_busybox_rootfs(&root).unwrap();
    let write = |name: &str, text: &str, mode: u32| {
        let path = root.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    write("plain", "just text\n", 0o644);
    write("garbage", "\x01\x02 not a program\n", 0o755);
    write("script", "#!/no/such/shell\necho hi\n", 0o755);
    let cases = [
        ("/plain", 126, "permission denied"),
        ("/garbage", 126, "not an executable format"),
        ("/script", 126, "interpreter is missing"),
        ("/nowhere", 127, "command not found"),
        ("nowhere", 127, "executable file not found in $PATH"),
    ];
    for (command, want_code, want_text) in cases {
        let mut spec = ContainerSpec::new(&root, args(&[command]));
        let (code, out) = run(&mut spec, &NoHooks);
        assert_eq!(code, want_code, "{command}: {out}");
        assert!(out.contains(want_text), "{command}: {out}");
    }
}

fn nul_refused() {
    let spec = ContainerSpec::new(busybox(), args(&["echo", "a\0b"]));
    let err = create_with(&spec, &NoHooks).unwrap_err().to_string();
    assert!(err.contains("argument 1") && err.contains("NUL"), "{err}");
    let mut spec = ContainerSpec::new(busybox(), args(&["true"]));
    spec.env.push("BAD=x\0y".into());
    let err = create_with(&spec, &NoHooks).unwrap_err().to_string();
    assert!(
        err.contains("environment entry") && err.contains("NUL"),
        "{err}"
    );
    // Nothing was cloned: no child of ours to reap.
    assert_eq!(
        nix::sys::wait::waitpid(None, Some(nix::sys::wait::WaitPidFlag::WNOHANG)),
        Err(nix::errno::Errno::ECHILD)
    );
}

fn init_pid_2() {
    let script = "echo $$; cat /proc/1/cmdline | tr '\\0' ' '";
    let mut spec = ContainerSpec::new(busybox(), args(&["sh", "-c", script]));
    spec.init = true;
    let (code, out) = run(&mut spec, &NoHooks);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "2", "{out}");
    assert!(
        !lines[1].starts_with("sh"),
        "pid 1 is the init, not the command: {out}"
    );
}

fn console() {
    let mut socket = ConsoleSocket::new().unwrap();
    let mut spec = ContainerSpec::new(busybox(), args(&["sh", "-c", "tty; stty size"]));
    spec.console = Some(Console {
        socket: socket.container_end(),
        size: Size {
            rows: 30,
            cols: 100,
        },
    });
    let created = create_with(&spec, &NoHooks).unwrap();
    socket.close_container_end();
    let running = created.start().unwrap();
    let master = socket.receive_master().unwrap().expect("a pty master");
    let mut out = Vec::new();
    // Reading a master whose slave is closed ends with EIO: whatever came before is the output.
    let _ = File::from(master).read_to_end(&mut out);
    let out = String::from_utf8_lossy(&out);
    assert_eq!(running.wait().unwrap(), 0, "{out}");
    assert!(out.contains("/dev/pts/0"), "its own devpts: {out}");
    assert!(out.contains("30 100"), "{out}");
}

fn join_running() {
    let mut spec = ContainerSpec::new(busybox(), args(&["sleep", "100"]));
    spec.hostname = "joined".into();
    let created = create_with(&spec, &NoHooks).unwrap();
    let pid = created.pid();
    let running = created.start().unwrap();

    let (read_end, write_end) = pipe();
    let mut exec = JoinSpec::new(
        pid,
        args(&["sh", "-c", "hostname; echo $$; readlink /proc/self/ns/mnt"]),
    );
    let null = File::open("/dev/null").unwrap();
    exec.stdio = Some([
        null.as_raw_fd(),
        write_end.as_raw_fd(),
        write_end.as_raw_fd(),
    ]);
    let child = join(&exec, &NoHooks).unwrap();
    drop(write_end);
    let mut out = String::new();
    File::from(read_end).read_to_string(&mut out).unwrap();
    assert_eq!(child.wait().unwrap(), 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "joined", "{out}");
    assert_ne!(
        lines[1], "1",
        "a second process in its PID namespace: {out}"
    );
    let mnt = Namespace::Mount.inode(pid).unwrap();
    assert_eq!(lines[2], format!("mnt:[{mnt}]"), "{out}");

    kill(pid, Signal::SIGKILL).unwrap();
    running.wait().unwrap();
}
