// What each errno of execve(2) means for the user (execve(2), ERRORS), by number: the numbers
// are the kernel's (asm-generic/errno-base.h, the same on x86_64 and aarch64). One table for
// two readers: lesson 01's `exec.rs`, and lesson 07's dmz, which has no libc to name them.
/// errno → why execve(2) refused the file.
pub const MEANINGS: &[(i32, &str)] = &[
    (
        13,
        "permission denied (not marked executable, a directory, or on a noexec mount)",
    ), // EACCES
    (
        8,
        "not an executable format (no #! line and not an ELF binary for this machine)",
    ), // ENOEXEC
    (
        2,
        "its interpreter is missing (the #! line's program, or the ELF dynamic loader)",
    ), // ENOENT
    (26, "it is open for writing (text file busy)"), // ETXTBSY
    (7, "the arguments and environment are too long"), // E2BIG
    (
        40,
        "too many levels of symbolic links (or of #! interpreters)",
    ), // ELOOP
    (
        1,
        "not permitted (a set-user-ID file on a nosuid mount, or a security policy)",
    ), // EPERM
    (12, "out of memory or over a resource limit"),  // ENOMEM
    (11, "out of memory or over a resource limit"),  // EAGAIN
];
