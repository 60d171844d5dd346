//! `syscall-probe`: tries, from wherever it runs, one harmless call of each family of system
//! calls Docker's default seccomp profile refuses, and a few it allows, and prints one line per
//! call: `FAMILY CALL OUTCOME` (`ok` or the errno's name). The capstone's confinement tests
//! run it inside a container (lesson 07's `probe` module holds the calls).

fn main() {
    let refused = confinement::probe::REFUSED_BY_DEFAULT.iter();
    let allowed = confinement::probe::ALLOWED_BY_DEFAULT.iter();
    for probe in refused.chain(allowed) {
        let outcome = confinement::probe::outcome((probe.run)());
        println!("{}\t{}\t{}", probe.family, probe.call, outcome);
    }
}
