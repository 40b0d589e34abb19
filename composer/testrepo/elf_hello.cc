// Hand-assembled "hello" programs. Layout of every file:
//
//   offset 0    Elf64_Ehdr (64 bytes)
//   offset 64   one Elf64_Phdr (56 bytes): PT_LOAD, file offset 0, the whole file, R+X
//   offset 120  machine code (entry point = load address + 120)
//   after code  the message bytes (addressed PC-relative, so no relocation)
//
// Everything is little-endian. No section headers: the kernel needs none.
#include "cairn/testrepo/elf_hello.h"

#include <fmt/format.h>

#include <cstdint>
#include <initializer_list>

namespace cairn::testrepo {
namespace {

constexpr uint64_t kLoadAddress = 0x400000;  // conventional non-PIE base, 64 KiB aligned
constexpr uint64_t kCodeOffset = 64 + 56;    // after Ehdr and the one Phdr
constexpr uint16_t kMachineX86_64 = 62;      // EM_X86_64
constexpr uint16_t kMachineAarch64 = 183;    // EM_AARCH64

void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutBytes(std::string& out, std::initializer_list<uint8_t> bytes) {
  for (uint8_t b : bytes) out.push_back(static_cast<char>(b));
}

// x86_64, Linux syscall ABI: number in eax/rax, arguments in rdi, rsi, rdx;
// write = 1, exit = 60. 33 bytes of code; the message starts right after.
std::string X86_64Code(uint32_t len) {
  constexpr uint32_t kCodeSize = 33;
  constexpr uint32_t kLeaEnd = 17;  // offset of the instruction after `lea`
  std::string c;
  PutBytes(c, {0xb8, 0x01, 0x00, 0x00, 0x00});  // mov eax, 1        ; sys_write
  PutBytes(c, {0xbf, 0x01, 0x00, 0x00, 0x00});  // mov edi, 1        ; fd = stdout
  PutBytes(c, {0x48, 0x8d, 0x35});              // lea rsi, [rip+d]  ; buf = message
  PutLe(c, kCodeSize - kLeaEnd, 4);             //   d = distance from next insn to message
  PutBytes(c, {0xba});                          // mov edx, len      ; count
  PutLe(c, len, 4);
  PutBytes(c, {0x0f, 0x05});                    // syscall
  PutBytes(c, {0xb8, 0x3c, 0x00, 0x00, 0x00});  // mov eax, 60       ; sys_exit
  PutBytes(c, {0x31, 0xff});                    // xor edi, edi      ; status = 0
  PutBytes(c, {0x0f, 0x05});                    // syscall
  return c;
}

// aarch64, Linux syscall ABI: number in x8, arguments in x0..x2, `svc #0`;
// write = 64, exit = 93. Eight 32-bit instructions; the message follows.
// MOVZ Xd, #imm16 encodes as 0xd2800000 | imm16 << 5 | d.
// ADR Xd, #off encodes as 0x10000000 | (off & 3) << 29 | (off >> 2) << 5 | d.
std::string Aarch64Code(uint32_t len) {
  auto movz = [](uint32_t rd, uint32_t imm16) { return 0xd2800000u | imm16 << 5 | rd; };
  constexpr uint32_t kMessageFromAdr = 7 * 4;  // adr is insn 1; message after insn 7
  constexpr uint32_t kAdrX1 =
      0x10000000u | (kMessageFromAdr & 3) << 29 | (kMessageFromAdr >> 2) << 5 | 1;
  constexpr uint32_t kSvc0 = 0xd4000001u;
  std::string c;
  PutLe(c, movz(0, 1), 4);    // mov x0, #1     ; fd = stdout
  PutLe(c, kAdrX1, 4);        // adr x1, msg    ; buf = message (pc-relative)
  PutLe(c, movz(2, len), 4);  // mov x2, #len   ; count
  PutLe(c, movz(8, 64), 4);   // mov x8, #64    ; sys_write
  PutLe(c, kSvc0, 4);         // svc #0
  PutLe(c, movz(0, 0), 4);    // mov x0, #0     ; status = 0
  PutLe(c, movz(8, 93), 4);   // mov x8, #93    ; sys_exit
  PutLe(c, kSvc0, 4);         // svc #0
  return c;
}

std::string ElfFile(uint16_t machine, uint64_t align, const std::string& code,
                    std::string_view message) {
  const uint64_t file_size = kCodeOffset + code.size() + message.size();
  std::string f;
  // Elf64_Ehdr.
  PutBytes(f, {0x7f, 'E', 'L', 'F'});
  PutBytes(f, {2, 1, 1, 0});                // ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_SYSV
  PutLe(f, 0, 8);                           // ABI version + padding to 16 bytes
  PutLe(f, 2, 2);                           // e_type = ET_EXEC
  PutLe(f, machine, 2);                     // e_machine
  PutLe(f, 1, 4);                           // e_version
  PutLe(f, kLoadAddress + kCodeOffset, 8);  // e_entry
  PutLe(f, 64, 8);                          // e_phoff: right after this header
  PutLe(f, 0, 8);                           // e_shoff: no section headers
  PutLe(f, 0, 4);                           // e_flags
  PutLe(f, 64, 2);                          // e_ehsize
  PutLe(f, 56, 2);                          // e_phentsize
  PutLe(f, 1, 2);                           // e_phnum
  PutLe(f, 64, 2);                          // e_shentsize
  PutLe(f, 0, 2);                           // e_shnum
  PutLe(f, 0, 2);                           // e_shstrndx = SHN_UNDEF
  // Elf64_Phdr: map the file (headers included) at kLoadAddress.
  PutLe(f, 1, 4);             // p_type = PT_LOAD
  PutLe(f, 5, 4);             // p_flags = PF_R | PF_X
  PutLe(f, 0, 8);             // p_offset
  PutLe(f, kLoadAddress, 8);  // p_vaddr
  PutLe(f, kLoadAddress, 8);  // p_paddr
  PutLe(f, file_size, 8);     // p_filesz
  PutLe(f, file_size, 8);     // p_memsz
  PutLe(f, align, 8);         // p_align
  f += code;
  f.append(message.data(), message.size());
  return f;
}

}  // namespace

const std::vector<std::string>& HelloElfArchs() {
  static const std::vector<std::string> kArchs = {"x86_64", "aarch64"};
  return kArchs;
}

Result<std::string> MakeHelloElf(std::string_view arch, std::string_view message) {
  if (message.size() > 0xffff) {
    return UsageError(fmt::format(
        "program message of {} bytes is too long (expected at most 65535)", message.size()));
  }
  const auto len = static_cast<uint32_t>(message.size());
  if (arch == "x86_64") return ElfFile(kMachineX86_64, 0x1000, X86_64Code(len), message);
  // 64 KiB alignment also loads on kernels with 64 KiB pages.
  if (arch == "aarch64") return ElfFile(kMachineAarch64, 0x10000, Aarch64Code(len), message);
  return UsageError(fmt::format(
      "no program generator for architecture '{}' (expected 'x86_64' or 'aarch64')", arch));
}

}  // namespace cairn::testrepo
