//! The smallest possible virtual machine, run through the raw KVM API
//! (Documentation/virt/kvm/api.rst): one page of guest memory holding two instructions,
//! `mov al, 42; hlt`, one vCPU started in 16-bit real mode at that page. If `KVM_RUN` comes
//! back with `KVM_EXIT_HLT` and the guest's `rax` holds 42, the CPU really executed guest code.
//!
//! This runs in a forked probe child (see `child.rs`): only system calls, no allocation.

// ioctl numbers from <linux/kvm.h>: _IO/_IOR/_IOW(KVMIO = 0xAE, nr, size).
const KVM_GET_API_VERSION: libc::c_ulong = 0xAE00;
const KVM_CREATE_VM: libc::c_ulong = 0xAE01;
const KVM_GET_VCPU_MMAP_SIZE: libc::c_ulong = 0xAE04;
const KVM_CREATE_VCPU: libc::c_ulong = 0xAE41;
const KVM_SET_USER_MEMORY_REGION: libc::c_ulong = 0x4020_AE46;
const KVM_RUN: libc::c_ulong = 0xAE80;
const KVM_GET_REGS: libc::c_ulong = 0x8090_AE81;
const KVM_SET_REGS: libc::c_ulong = 0x4090_AE82;
const KVM_GET_SREGS: libc::c_ulong = 0x8138_AE83;
const KVM_SET_SREGS: libc::c_ulong = 0x4138_AE84;
/// `kvm_run.exit_reason` when the guest executed `hlt`.
const KVM_EXIT_HLT: u32 = 5;
/// The only KVM API version there has ever been.
const KVM_API_VERSION: libc::c_int = 12;

/// Where the guest's code sits, in guest-physical memory.
const GUEST_CODE_ADDR: u64 = 0x1000;
/// `mov al, 42` (b0 2a), then `hlt` (f4).
const GUEST_CODE: [u8; 3] = [0xb0, 0x2a, 0xf4];

/// What went wrong, as the probe child's exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Step {
    /// open("/dev/kvm") failed (permissions).
    Open = 1,
    /// KVM_GET_API_VERSION was not 12.
    ApiVersion = 2,
    /// KVM_CREATE_VM failed.
    CreateVm = 3,
    /// KVM_CREATE_VCPU failed.
    CreateVcpu = 4,
    /// Guest memory could not be set up.
    Memory = 5,
    /// The vCPU's registers could not be set.
    Registers = 6,
    /// KVM_RUN failed.
    Run = 7,
    /// The guest stopped for another reason than `hlt`, or `rax` was not 42.
    WrongExit = 8,
}

/// `struct kvm_userspace_memory_region`.
#[repr(C)]
struct MemoryRegion {
    slot: u32,
    flags: u32,
    guest_phys_addr: u64,
    memory_size: u64,
    userspace_addr: u64,
}

/// `struct kvm_regs`: rax…r15 (16 registers), then rip and rflags.
#[repr(C)]
struct Regs {
    general: [u64; 16],
    rip: u64,
    rflags: u64,
}

/// `struct kvm_segment`, the first field of `struct kvm_sregs` (which is 312 bytes).
#[repr(C)]
struct Segment {
    base: u64,
    limit: u32,
    selector: u16,
    rest: [u8; 10],
}

/// `struct kvm_sregs`, with only the code segment spelled out.
#[repr(C)]
struct Sregs {
    cs: Segment,
    rest: [u8; 312 - 24],
}

/// Boots the tiny guest; `Ok(())` when it halted with rax = 42.
pub fn run_tiny_guest() -> Result<(), Step> {
    // SAFETY: ioctl(2)s on descriptors we opened, with pointers to properly sized #[repr(C)]
    // structs matching <linux/kvm.h>; mmap(2)ed memory is only accessed within its length.
    unsafe {
        let kvm = libc::open(c"/dev/kvm".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        check(kvm, Step::Open)?;
        if libc::ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION {
            return Err(Step::ApiVersion);
        }
        let vm = libc::ioctl(kvm, KVM_CREATE_VM, 0);
        check(vm, Step::CreateVm)?;

        // One page of anonymous memory becomes the guest's physical page at 0x1000.
        let page = 0x1000;
        let mem = libc::mmap(
            std::ptr::null_mut(),
            page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if mem == libc::MAP_FAILED {
            return Err(Step::Memory);
        }
        std::ptr::copy_nonoverlapping(GUEST_CODE.as_ptr(), mem.cast::<u8>(), GUEST_CODE.len());
        let region = MemoryRegion {
            slot: 0,
            flags: 0,
            guest_phys_addr: GUEST_CODE_ADDR,
            memory_size: page as u64,
            userspace_addr: mem as u64,
        };
        check(
            libc::ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region),
            Step::Memory,
        )?;

        let vcpu = libc::ioctl(vm, KVM_CREATE_VCPU, 0);
        check(vcpu, Step::CreateVcpu)?;
        // The vCPU reports why it stopped in a shared `struct kvm_run`.
        let run_size = libc::ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
        check(run_size, Step::Memory)?;
        let run = libc::mmap(
            std::ptr::null_mut(),
            run_size as usize,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            vcpu,
            0,
        );
        if run == libc::MAP_FAILED {
            return Err(Step::Memory);
        }

        // Real mode, code segment at 0, instruction pointer at our page.
        let mut sregs: Sregs = std::mem::zeroed();
        check(
            libc::ioctl(vcpu, KVM_GET_SREGS, &mut sregs),
            Step::Registers,
        )?;
        sregs.cs.base = 0;
        sregs.cs.selector = 0;
        check(libc::ioctl(vcpu, KVM_SET_SREGS, &sregs), Step::Registers)?;
        let mut regs: Regs = std::mem::zeroed();
        regs.rip = GUEST_CODE_ADDR;
        regs.rflags = 0x2; // bit 1 of RFLAGS is reserved and must be set
        check(libc::ioctl(vcpu, KVM_SET_REGS, &regs), Step::Registers)?;

        check(libc::ioctl(vcpu, KVM_RUN, 0), Step::Run)?;
        // `exit_reason` is the u32 at offset 8 of `struct kvm_run`.
        let exit_reason = *(run.cast::<u8>().add(8).cast::<u32>());
        check(libc::ioctl(vcpu, KVM_GET_REGS, &mut regs), Step::Registers)?;
        if exit_reason != KVM_EXIT_HLT || regs.general[0] & 0xff != 42 {
            return Err(Step::WrongExit);
        }
    }
    Ok(())
}

/// A negative ioctl/open result means `step` failed.
fn check(result: libc::c_int, step: Step) -> Result<(), Step> {
    if result < 0 { Err(step) } else { Ok(()) }
}
