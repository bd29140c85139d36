namespace Maple.Tests.Library;

/// <summary>
/// <see cref="GlibcAllocator.KeepFreedMemory"/> reaches glibc's mallopt. Its effect is on speed, measured in
/// bench/Maple.Bench (a step's page faults and time), not here: how many pages a freed block saves depends on
/// the thread's arena and on what else the process has allocated.
/// </summary>
public sealed class GlibcAllocatorTests
{
    [Fact]
    public void OnLinuxEveryParameterIsAccepted()
    {
        Assert.Equal(OperatingSystem.IsLinux(), GlibcAllocator.KeepFreedMemory());
    }
}
