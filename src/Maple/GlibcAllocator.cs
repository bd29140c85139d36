using System.Runtime.InteropServices;

namespace Maple;

/// <summary>
/// How the C library's allocator, which libtorch allocates every tensor from, treats freed memory on Linux.
/// By default glibc maps each block over a threshold (128 KB at first, growing with the blocks freed) afresh
/// and returns the top of its heap to the system once twice that threshold is free there, so a training
/// step's activations and attention scores are page-faulted in again step after step, each 4 KB page zeroed by
/// the kernel on the thread that first touches it. Keeping what a step frees for the next one made
/// <c>maple train</c>'s ViT-B/16 bf16 steps on two threads 6.6% faster (medians of six runs each; one thread
/// within noise) for 60 MB more peak memory at 1,000 classes (see bench/Maple.Bench/README.md). This is a
/// process-wide choice, so the library never makes it itself: applications call <see cref="KeepFreedMemory"/>
/// once at start-up, as <c>maple</c> does.
/// </summary>
public static partial class GlibcAllocator
{
    // mallopt's parameters (malloc.h).
    const int TrimThresholdParameter = -1;
    const int MmapThresholdParameter = -3;
    const int ArenaMaxParameter = -8;

    /// <summary>The largest block served from the heap; glibc accepts at most 32 MB on 64-bit systems.</summary>
    public const int MmapThresholdBytes = 32 << 20;

    /// <summary>Free memory at the top of the heap kept for reuse rather than returned to the system.</summary>
    public const int TrimThresholdBytes = 1 << 30;

    /// <summary>
    /// Serves blocks up to <see cref="MmapThresholdBytes"/> from the heap and keeps up to
    /// <see cref="TrimThresholdBytes"/> of freed heap for reuse. Returns whether it applied: only with glibc on
    /// Linux (elsewhere, including musl, it does nothing).
    /// </summary>
    public static bool KeepFreedMemory() => OperatingSystem.IsLinux() && Apply(Mallopt);

    /// <summary>The settings through <paramref name="mallopt"/>; false when the C library refuses one or has none.</summary>
    internal static bool Apply(Func<int, int, int> mallopt)
    {
        try
        {
            // One arena, so that what one thread frees is there for the next allocation on any other: a command's
            // work may move between thread-pool threads.
            return mallopt(MmapThresholdParameter, MmapThresholdBytes) == 1 && mallopt(TrimThresholdParameter, TrimThresholdBytes) == 1
                && mallopt(ArenaMaxParameter, 1) == 1;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    /// <summary>glibc's soname: other C libraries (musl) have no such file, and <see cref="Apply"/> then returns false.</summary>
    internal const string Library = "libc.so.6";

    [LibraryImport(Library, EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);
}
