// Makes libLibTorchSharp.so load on systems whose libstdc++ predates GCC 13.
//
// TorchSharp 0.107.0's native shim declares a need for the symbol version GLIBCXX_3.4.32 only
// because of std::ios_base_library_init(), which it never calls. The dynamic loader refuses the
// whole library when a needed version is missing, unless that requirement is flagged weak
// (VER_FLG_WEAK in its .gnu.version_r entry). This file flips that one flag, in place, in the
// copy of the library in a build or publish output. It is compiled twice: as an MSBuild inline
// task (build/LibTorchSharp.targets) and into the tests, which define ELF_PATCH_WITHOUT_MSBUILD.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

/// <summary>Reads and edits the version-needed table (.gnu.version_r) of a 64-bit little-endian ELF file.</summary>
public static class ElfVersionPatch
{
    const uint SectionTypeVersionNeed = 0x6ffffffe;
    const uint SectionTypeVersionSymbols = 0x6fffffff;
    const uint SectionTypeDynamicSymbols = 11;
    const ushort VersionFlagWeak = 0x2;

    /// <summary>
    /// Symbols that a library may reference without ever calling: GCC 13 makes every object that includes
    /// &lt;iostream&gt; reference std::ios_base_library_init() (which needs GLIBCXX_3.4.32) only to pull in the
    /// libstdc++ that initialises the standard streams; older libstdc++ initialise them anyway.
    /// </summary>
    public static readonly IReadOnlyCollection<string> NeverCalledSymbols = new[] { "_ZSt21ios_base_library_initv" };

    /// <summary>One entry of the version-needed table.</summary>
    public sealed class VersionNeed
    {
        /// <summary>Creates an entry.</summary>
        public VersionNeed(string library, string version, ushort flags, long flagsOffset, ushort index)
        {
            Library = library;
            Version = version;
            Flags = flags;
            FlagsOffset = flagsOffset;
            Index = index;
        }

        /// <summary>The version's index (vna_other), as the symbol version table (.gnu.version) refers to it.</summary>
        public ushort Index { get; }

        /// <summary>The library (DT_NEEDED name) that must provide the version.</summary>
        public string Library { get; }

        /// <summary>The version name, e.g. GLIBCXX_3.4.32.</summary>
        public string Version { get; }

        /// <summary>The vna_flags field.</summary>
        public ushort Flags { get; }

        /// <summary>Where vna_flags sits in the file.</summary>
        public long FlagsOffset { get; }

        /// <summary>Whether a missing version is tolerated by the loader.</summary>
        public bool IsWeak => (Flags & VersionFlagWeak) != 0;
    }

    /// <summary>Lists the symbol versions the file needs, with the library that must provide each.</summary>
    public static List<VersionNeed> ReadVersionNeeds(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("only 64-bit little-endian ELF files are supported");

        long sectionHeaders = ReadInt64(elf, 0x28);
        int sectionHeaderSize = ReadUInt16(elf, 0x3a);
        int sectionCount = ReadUInt16(elf, 0x3c);
        var needs = new List<VersionNeed>();
        for (var i = 0; i < sectionCount; i++)
        {
            long header = sectionHeaders + (long)i * sectionHeaderSize;
            if (ReadUInt32(elf, header + 4) != SectionTypeVersionNeed)
                continue;
            long offset = ReadInt64(elf, header + 0x18);
            int entryCount = (int)ReadUInt32(elf, header + 0x2c); // sh_info: number of Verneed entries
            long strings = ReadInt64(elf, sectionHeaders + (long)ReadUInt32(elf, header + 0x28) * sectionHeaderSize + 0x18);

            long need = offset;
            for (var n = 0; n < entryCount; n++)
            {
                int auxCount = ReadUInt16(elf, need + 2);
                string library = ReadString(elf, strings + ReadUInt32(elf, need + 4));
                long aux = need + ReadUInt32(elf, need + 8);
                for (var a = 0; a < auxCount; a++)
                {
                    needs.Add(new VersionNeed(library, ReadString(elf, strings + ReadUInt32(elf, aux + 8)), ReadUInt16(elf, aux + 4), aux + 4, ReadUInt16(elf, aux + 6)));
                    aux += ReadUInt32(elf, aux + 12);
                }
                need += ReadUInt32(elf, need + 12);
            }
        }
        return needs;
    }

    /// <summary>The dynamic symbols bound to <paramref name="need"/>'s version (the names that need it).</summary>
    public static List<string> SymbolsNeeding(byte[] elf, VersionNeed need)
    {
        ReadVersionNeeds(elf); // checks the header
        long sectionHeaders = ReadInt64(elf, 0x28);
        int sectionHeaderSize = ReadUInt16(elf, 0x3a);
        int sectionCount = ReadUInt16(elf, 0x3c);
        long Header(int i) => sectionHeaders + (long)i * sectionHeaderSize;
        long versions = -1, symbols = -1, symbolCount = 0, strings = 0;
        for (var i = 0; i < sectionCount; i++)
        {
            var type = ReadUInt32(elf, Header(i) + 4);
            if (type == SectionTypeVersionSymbols)
                versions = ReadInt64(elf, Header(i) + 0x18);
            else if (type == SectionTypeDynamicSymbols)
            {
                symbols = ReadInt64(elf, Header(i) + 0x18);
                symbolCount = ReadInt64(elf, Header(i) + 0x20) / 24; // Elf64_Sym is 24 bytes
                strings = ReadInt64(elf, Header((int)ReadUInt32(elf, Header(i) + 0x28)) + 0x18);
            }
        }
        var names = new List<string>();
        if (versions < 0 || symbols < 0)
            return names;
        for (long s = 0; s < symbolCount; s++)
        {
            if ((ReadUInt16(elf, versions + 2 * s) & 0x7fff) == need.Index) // bit 15 marks a hidden version
                names.Add(ReadString(elf, strings + ReadUInt32(elf, symbols + 24 * s)));
        }
        return names;
    }

    /// <summary>
    /// Marks as weak every needed version that <paramref name="isAvailable"/> says the system lacks.
    /// Returns the versions it changed; the file is rewritten (temp file + rename) only when there are any.
    /// </summary>
    public static List<string> WeakenMissing(string path, Func<VersionNeed, bool> isAvailable)
    {
        var elf = File.ReadAllBytes(path);
        var changed = new List<string>();
        foreach (var need in ReadVersionNeeds(elf))
        {
            if (need.IsWeak || isAvailable(need))
                continue;
            var flags = (ushort)(need.Flags | VersionFlagWeak);
            elf[need.FlagsOffset] = (byte)flags;
            elf[need.FlagsOffset + 1] = (byte)(flags >> 8);
            changed.Add(need.Version);
        }
        if (changed.Count > 0)
        {
            var temp = path + ".patching";
            File.WriteAllBytes(temp, elf);
            File.Replace(temp, path, null); // an atomic rename over the original

        }
        return changed;
    }

    /// <summary>The GLIBCXX_* versions that the system's libstdc++ provides, or null when none is found.</summary>
    public static HashSet<string>? SystemLibStdCxxVersions()
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        };
        foreach (var candidate in candidates)
        {
            if (!File.Exists(candidate))
                continue;
            // Version names live in .dynstr as plain NUL-terminated strings; scanning for them is enough.
            var text = Encoding.ASCII.GetString(File.ReadAllBytes(candidate));
            var versions = new HashSet<string>();
            for (var at = text.IndexOf("GLIBCXX_", StringComparison.Ordinal); at >= 0; at = text.IndexOf("GLIBCXX_", at + 1, StringComparison.Ordinal))
            {
                var end = text.IndexOf('\0', at);
                if (end > at)
                    versions.Add(text.Substring(at, end - at));
            }
            return versions;
        }
        return null;
    }

    static ushort ReadUInt16(byte[] b, long at) => (ushort)(b[at] | b[at + 1] << 8);
    static uint ReadUInt32(byte[] b, long at) => (uint)(ReadUInt16(b, at) | ReadUInt16(b, at + 2) << 16);
    static long ReadInt64(byte[] b, long at) => (long)(ReadUInt32(b, at) | (ulong)ReadUInt32(b, at + 4) << 32);

    static string ReadString(byte[] b, long at)
    {
        var end = at;
        while (end < b.Length && b[end] != 0)
            end++;
        return Encoding.ASCII.GetString(b, (int)at, (int)(end - at));
    }
}

#if !ELF_PATCH_WITHOUT_MSBUILD
/// <summary>MSBuild task: weakens the libstdc++ versions that this system lacks in the given ELF files.</summary>
public sealed class WeakenMissingLibStdCxxVersions : Microsoft.Build.Utilities.Task
{
    /// <summary>The native libraries to patch in place.</summary>
    [Microsoft.Build.Framework.Required]
    public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

    /// <summary>
    /// The files will run on other systems (a publish folder, a tool package): also weaken the versions that only
    /// <see cref="ElfVersionPatch.NeverCalledSymbols"/> need, whatever this system's libstdc++ has.
    /// </summary>
    public bool ForOtherSystems { get; set; }

    /// <inheritdoc />
    public override bool Execute()
    {
        var available = ElfVersionPatch.SystemLibStdCxxVersions();
        if (available is null && !ForOtherSystems)
            return true; // no glibc libstdc++ to compare against (e.g. building elsewhere): leave the files alone
        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            if (!File.Exists(path))
                continue;
            var elf = File.ReadAllBytes(path);
            var changed = ElfVersionPatch.WeakenMissing(path, need =>
                !need.Version.StartsWith("GLIBCXX_", StringComparison.Ordinal)
                || (available is null || available.Contains(need.Version))
                    && !(ForOtherSystems && ElfVersionPatch.SymbolsNeeding(elf, need).All(ElfVersionPatch.NeverCalledSymbols.Contains)));
            if (changed.Count > 0)
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                    $"Maple: marked {string.Join(", ", changed)} weak in {path} ({(ForOtherSystems ? "for systems whose" : "this system's")} libstdc++ lacks them; the symbol that needs them is never called).");
        }
        return true;
    }
}
#endif
