using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Maple.Tests.Training;

namespace Maple.Tests.Serving;

/// <summary><c>maple serve</c> as a real process: it prints where it listens, answers, and stops cleanly on SIGTERM.</summary>
public sealed partial class ServeCommandTests
{
    [Fact]
    public async Task TheServeCommandAnswersOverHttpAndStopsOnSigterm()
    {
        using var folder = new TempFolder();
        var model = Fixtures.TinyMapleModel;
        var (code, error) = await CliRunner.RunAsync("export", "--model", model, "--class", "cat", "--class", "coffee cup", "-o", folder["c.onnx"]);
        Assert.True(code == 0, error);

        var cli = Path.Combine(AppContext.BaseDirectory, "Maple.Cli.dll");
        using var process = new Process
        {
            StartInfo = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { cli, "serve", "--onnx", folder["c.onnx"], "--port", "0", "--threads", "1" },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            },
        };
        var output = new StringBuilder();
        var address = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, line) =>
        {
            lock (output)
            {
                output.Append(line.Data);
                if (Listening().Match(output.ToString()) is { Success: true } m)
                    address.TrySetResult(new Uri(m.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, line) => { lock (output) output.Append(line.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var uri = await address.Task.WaitAsync(TimeSpan.FromSeconds(120));
            Assert.Equal("127.0.0.1", uri.Host);
            using var http = new HttpClient();
            using var health = await http.GetAsync(new Uri(uri, "health"));
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Contains("\"classifier\":\"zeroshot from c.onnx\"", await health.Content.ReadAsStringAsync());
            using var image = new ByteArrayContent(File.ReadAllBytes(Path.Combine(Fixtures.Preprocess, "images", "coffee.png")));
            using var answer = await http.PostAsync(new Uri(uri, "classify?top=1"), image);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);

            Assert.Equal(0, Kill(process.Id, Sigterm));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0, process.ExitCode);
            lock (output)
                Assert.EndsWith("stopping", output.ToString());
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
    }

    const int Sigterm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int Kill(int pid, int signal);

    [GeneratedRegex(@"at (http://127\.0\.0\.1:\d+/)")]
    private static partial Regex Listening();
}
