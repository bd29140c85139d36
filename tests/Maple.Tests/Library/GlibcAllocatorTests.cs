using System.Runtime.InteropServices;

namespace Maple.Tests.Library;

/// <summary>
/// What <see cref="GlibcAllocator.KeepFreedMemory"/> asks of glibc, checked against malloc.h's parameter codes
/// through a stand-in: calling the real mallopt here would change the allocator of the whole test run, whose
/// memory-growth checks read the process's resident memory. Its effect is on speed, measured in bench/Maple.Bench.
/// </summary>
public sealed class GlibcAllocatorTests
{
    [Fact]
    public void AsksForHeapBlocksUpTo32MbAGigabyteKeptAndOneArena()
    {
        var calls = new List<(int Parameter, int Value)>();
        Assert.True(GlibcAllocator.Apply((parameter, value) =>
        {
            calls.Add((parameter, value));
            return 1;
        }));
        // malloc.h: M_MMAP_THRESHOLD -3, M_TRIM_THRESHOLD -1, M_ARENA_MAX -8.
        Assert.Equal([(-3, 32 * 1024 * 1024), (-1, 1024 * 1024 * 1024), (-8, 1)], calls);
    }

    [Fact]
    public void ARefusedSettingOrAMissingLibraryIsReportedNotThrown()
    {
        var calls = 0;
        Assert.False(GlibcAllocator.Apply((_, _) => ++calls == 1 ? 0 : 1));
        Assert.Equal(1, calls);
        Assert.False(GlibcAllocator.Apply((_, _) => throw new DllNotFoundException("libc.so.6")));
        Assert.False(GlibcAllocator.Apply((_, _) => throw new EntryPointNotFoundException("mallopt")));
    }

    [Fact]
    public void OnLinuxTheLibraryItCallsHasMallopt()
    {
        if (!OperatingSystem.IsLinux())
            return;
        Assert.True(NativeLibrary.TryLoad(GlibcAllocator.Library, out var library), $"{GlibcAllocator.Library} not found");
        Assert.True(NativeLibrary.TryGetExport(library, "mallopt", out _));
    }
}
