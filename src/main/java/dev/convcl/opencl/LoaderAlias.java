package dev.convcl.opencl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * An ELF shared object that contains no code and no symbols: only the name {@code libOpenCL.so}
 * (its {@code DT_SONAME}) and one dependency, {@code libOpenCL.so.1} (its {@code DT_NEEDED}).
 *
 * <p>Why: JOCL 2.0.5 opens the ICD loader with {@code dlopen("libOpenCL.so")}, a name Debian and
 * others ship only in their development package, while the runtime package has
 * {@code libOpenCL.so.1} alone. The dynamic linker answers a {@code dlopen} of a bare name with an
 * object already loaded under that name or with that {@code DT_SONAME}, before searching the disk.
 * Once this alias is loaded, JOCL's {@code dlopen("libOpenCL.so")} therefore returns it, and
 * symbol look-ups through that handle reach the real loader through the dependency. Nothing is
 * installed: the file is loaded from a temporary file that is deleted right after, and it asks
 * for no executable memory (so a {@code noexec} temporary folder is fine).
 *
 * <p>Layout (64-bit, little-endian; 432 bytes): ELF header; program headers {@code PT_LOAD}
 * (the whole file, read-write, 64 KiB aligned so 4 KiB and 64 KiB page systems both accept it),
 * {@code PT_DYNAMIC} and {@code PT_GNU_STACK} (non-executable stack: without it the dynamic
 * linker would make every thread stack executable); an empty symbol table and its SysV hash
 * table; the string table; the dynamic section.
 */
final class LoaderAlias {
    static final String NAME = "libOpenCL.so";
    static final String TARGET = "libOpenCL.so.1";

    private static final int EHDR = 64;
    private static final int PHDR_SIZE = 56;
    private static final int PHDRS = 3;
    private static final int DYNSYM = EHDR + PHDRS * PHDR_SIZE; // 0xE8: one null symbol
    private static final int HASH = DYNSYM + 24;                // 0x100: nbucket, nchain, bucket[0], chain[0]
    private static final int DYNSTR = HASH + 16;                // 0x110
    private static final byte[] STRINGS = ("\0" + TARGET + "\0" + NAME + "\0").getBytes(StandardCharsets.US_ASCII);
    private static final int NEEDED_OFFSET = 1;
    private static final int SONAME_OFFSET = 1 + TARGET.length() + 1;
    private static final int DYNAMIC = (DYNSTR + STRINGS.length + 7) & ~7; // 0x130
    private static final int DYNAMIC_ENTRIES = 8;
    static final int SIZE = DYNAMIC + DYNAMIC_ENTRIES * 16;      // 0x1B0

    private static final int PT_LOAD = 1;
    private static final int PT_DYNAMIC = 2;
    private static final int PT_GNU_STACK = 0x6474e551;
    private static final int PF_RW = 0x4 | 0x2;
    private static final long DT_NULL = 0;
    private static final long DT_NEEDED = 1;
    private static final long DT_HASH = 4;
    private static final long DT_STRTAB = 5;
    private static final long DT_SYMTAB = 6;
    private static final long DT_STRSZ = 10;
    private static final long DT_SYMENT = 11;
    private static final long DT_SONAME = 14;

    private LoaderAlias() {
    }

    /** The ELF machine number of this JVM's architecture, or -1 for one JOCL ships no library for. */
    static int machine() {
        return switch (System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> 62;   // EM_X86_64
            case "aarch64", "arm64" -> 183; // EM_AARCH64
            default -> -1;
        };
    }

    /** The object's bytes for ELF machine {@code machine}. */
    static byte[] bytes(int machine) {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        // ELF header: magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, System V ABI, padding.
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        b.putShort((short) 3);             // e_type: ET_DYN
        b.putShort((short) machine);       // e_machine
        b.putInt(1);                       // e_version
        b.putLong(0);                      // e_entry
        b.putLong(EHDR);                   // e_phoff
        b.putLong(0);                      // e_shoff: no section headers
        b.putInt(0);                       // e_flags
        b.putShort((short) EHDR);          // e_ehsize
        b.putShort((short) PHDR_SIZE);     // e_phentsize
        b.putShort((short) PHDRS);         // e_phnum
        b.putShort((short) 64);            // e_shentsize
        b.putShort((short) 0);             // e_shnum
        b.putShort((short) 0);             // e_shstrndx
        programHeader(b, PT_LOAD, 0, SIZE, 0x10000);
        programHeader(b, PT_DYNAMIC, DYNAMIC, DYNAMIC_ENTRIES * 16, 8);
        programHeader(b, PT_GNU_STACK, 0, 0, 16);
        b.position(HASH);
        b.putInt(1).putInt(1).putInt(0).putInt(0); // one empty bucket, one (null) symbol
        b.position(DYNSTR);
        b.put(STRINGS);
        b.position(DYNAMIC);
        b.putLong(DT_NEEDED).putLong(NEEDED_OFFSET);
        b.putLong(DT_SONAME).putLong(SONAME_OFFSET);
        b.putLong(DT_HASH).putLong(HASH);
        b.putLong(DT_STRTAB).putLong(DYNSTR);
        b.putLong(DT_SYMTAB).putLong(DYNSYM);
        b.putLong(DT_STRSZ).putLong(STRINGS.length);
        b.putLong(DT_SYMENT).putLong(24);
        b.putLong(DT_NULL).putLong(0);
        return b.array();
    }

    private static void programHeader(ByteBuffer b, int type, long offset, long size, long align) {
        b.putInt(type);
        b.putInt(PF_RW);
        b.putLong(offset);  // p_offset
        b.putLong(offset);  // p_vaddr
        b.putLong(offset);  // p_paddr
        b.putLong(size);    // p_filesz
        b.putLong(size);    // p_memsz
        b.putLong(align);
    }
}
