using TorchSharp;

namespace Maple.Tests.Build;

public sealed class LibTorchSharpPatchTests
{
    const string NeededOnlyByUnusedSymbol = "GLIBCXX_3.4.32";

    static string PackagedLibrary()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    [Fact]
    public void TorchLoadsAndComputes()
    {
        using var sum = torch.ones(3).sum();
        Assert.Equal(3f, sum.item<float>());
    }

    [Fact]
    public void OutputCopyIsWeakWhereTheSystemLacksTheVersion()
    {
        var output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var needs = ElfVersionPatch.ReadVersionNeeds(File.ReadAllBytes(output));
        var need = Assert.Single(needs, n => n.Version == NeededOnlyByUnusedSymbol);
        Assert.Equal("libstdc++.so.6", need.Library);
        var system = ElfVersionPatch.SystemLibStdCxxVersions();
        Assert.NotNull(system);
        Assert.Equal(!system.Contains(NeededOnlyByUnusedSymbol), need.IsWeak);
        // Every other requirement is left as the package shipped it.
        Assert.All(needs.Where(n => n.Version != NeededOnlyByUnusedSymbol), n => Assert.False(n.IsWeak));
    }

    [Fact]
    public void WeakensOnlyWhatIsMissingAndIsIdempotent()
    {
        var temp = Path.Combine(Path.GetTempPath(), $"maple-elf-{Guid.NewGuid():N}.so");
        File.Copy(PackagedLibrary(), temp);
        try
        {
            Assert.All(ElfVersionPatch.ReadVersionNeeds(File.ReadAllBytes(temp)), n => Assert.False(n.IsWeak));
            var before = File.ReadAllBytes(temp);

            var changed = ElfVersionPatch.WeakenMissing(temp, n => n.Version != NeededOnlyByUnusedSymbol);
            Assert.Equal([NeededOnlyByUnusedSymbol], changed);
            var after = File.ReadAllBytes(temp);
            Assert.Equal(before.Length, after.Length);
            Assert.Single(Enumerable.Range(0, before.Length), i => before[i] != after[i]); // one byte of one flags field

            Assert.Empty(ElfVersionPatch.WeakenMissing(temp, n => n.Version != NeededOnlyByUnusedSymbol));
            Assert.Empty(ElfVersionPatch.WeakenMissing(temp, _ => true)); // a new enough system: no-op
        }
        finally
        {
            File.Delete(temp);
        }
    }

    [Fact]
    public void OnlyTheNeverCalledSymbolNeedsTheVersion()
    {
        // readelf --dyn-syms lists one symbol at GLIBCXX_3.4.32: _ZSt21ios_base_library_initv (std::ios_base_library_init()).
        var elf = File.ReadAllBytes(PackagedLibrary());
        var need = ElfVersionPatch.ReadVersionNeeds(elf).Single(n => n.Version == NeededOnlyByUnusedSymbol);
        Assert.Equal(["_ZSt21ios_base_library_initv"], ElfVersionPatch.SymbolsNeeding(elf, need));
        Assert.Equal(ElfVersionPatch.NeverCalledSymbols, ElfVersionPatch.SymbolsNeeding(elf, need));
        // An older version, needed by stream insertions that are called: the five readelf lists at GLIBCXX_3.4.9.
        var common = ElfVersionPatch.ReadVersionNeeds(elf).Single(n => n.Version == "GLIBCXX_3.4.9");
        Assert.Equal(
            ["_ZNSo9_M_insertIbEERSoT_", "_ZNSo9_M_insertIdEERSoT_", "_ZNSo9_M_insertIlEERSoT_", "_ZNSo9_M_insertImEERSoT_",
             "_ZSt16__ostream_insertIcSt11char_traitsIcEERSt13basic_ostreamIT_T0_ES6_PKS3_l"],
            ElfVersionPatch.SymbolsNeeding(elf, common).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void RejectsFilesThatAreNotElf()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionPatch.ReadVersionNeeds(new byte[100]));
    }
}
