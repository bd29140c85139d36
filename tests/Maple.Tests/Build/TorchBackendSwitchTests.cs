using System.Diagnostics;
using System.Text.Json;

namespace Maple.Tests.Build;

/// <summary>
/// The build switch <c>MapleTorchBackend</c>: the CPU libtorch by default, TorchSharp's CUDA build of the same libtorch
/// with <c>cuda</c>, and a build error for anything else. Read from MSBuild's evaluation of the library's project (the
/// CUDA packages are not served here, so nothing is restored).
/// </summary>
public sealed class TorchBackendSwitchTests
{
    static readonly string Project = Path.Combine(Fixtures.RepositoryRoot, "src", "Maple", "Maple.csproj");

    [Fact]
    public void TheDefaultIsTheCpuLibTorch()
    {
        var packages = Libtorch(MsBuild("-getItem:PackageReference").Output);
        Assert.Equal(["libtorch-cpu-linux-x64 2.10.0"], packages);
    }

    [Fact]
    public void CudaReferencesTheCudaBuildOfTheSameLibTorch()
    {
        var packages = Libtorch(MsBuild("-getItem:PackageReference", "-p:MapleTorchBackend=cuda").Output);
        Assert.Equal([OperatingSystem.IsWindows() ? "libtorch-cuda-12.8-win-x64 2.10.0" : "libtorch-cuda-12.8-linux-x64 2.10.0"], packages);
    }

    [Fact]
    public void AnotherBackendIsABuildError()
    {
        var (code, output) = MsBuild("-t:MapleCheckTorchBackend", "-p:MapleTorchBackend=rocm");
        Assert.NotEqual(0, code);
        Assert.Contains("MapleTorchBackend must be cpu or cuda, not 'rocm'", output);
    }

    static List<string> Libtorch(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("Items").GetProperty("PackageReference").EnumerateArray()
            .Select(p => $"{p.GetProperty("Identity").GetString()} {p.GetProperty("Version").GetString()}")
            .Where(p => p.StartsWith("libtorch", StringComparison.Ordinal))
            .ToList();
    }

    static (int Code, string Output) MsBuild(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "msbuild", Project, "-nologo", "-nodeReuse:false" }.Concat(arguments))
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error.Result);
    }
}
