using System.Text.RegularExpressions;
using Maple.Tests.Training;

namespace Maple.Tests.Cli;

/// <summary>
/// <c>maple train</c> as a person sees it, run as the built executable: on an 80- and a 120-column pseudo-terminal,
/// piped into a log, interrupted with Ctrl+C (SIGINT) and resumed.
/// </summary>
public sealed partial class TrainDisplayTests : IDisposable
{
    readonly TempFolder _temp = new();
    string? _data;

    public void Dispose() => _temp.Dispose();

    string[] Train(string output, params string[] extra) =>
        ["train", "--model", Fixtures.TinyMapleModel, "--data", _data ??= PhotoFolder.Create(_temp["data"]), "--output", output,
         "--depth", "3", "--batch-size", "3", "--precision", "fp32", .. extra];

    [Fact]
    public async Task AtEightyColumnsTheDisplayIsOneCompactLineThatNeverWraps()
    {
        var result = await MapleProcess.RunOnTerminalAsync(Train(_temp["run"], "--epochs", "2"), columns: 80);

        Assert.Equal(0, result.ExitCode);
        var screen = TerminalScreen.Show(result.Output, 80);
        Assert.Empty(screen.Wraps);
        // Redrawn in place: one row holds the display, with the bar, the percentage and the ETA once.
        var display = Assert.Single(screen.Rows, r => r.Contains("ETA", StringComparison.Ordinal));
        Assert.Matches(@"^100% ━{10} epoch 2/2, step 3/3, loss \d+\.\d{3}, acc \d+%, lr [0-9.E-]+(, [\d.]+ img/s)? ETA 00:00$", display);
        Assert.Single(Regex.Matches(display, "ETA"));
        // No fragment of the display anywhere else.
        foreach (var row in screen.Rows.Where(r => r != display))
            Assert.DoesNotMatch("━|─|elapsed|img/s|ETA|epoch \\d/", row);
        Assert.Contains("wrote " + Path.Combine(_temp["run"], "prompt.safetensors"), screen.Rows);
    }

    [Fact]
    public async Task FromAHundredColumnsTheDisplayShowsTheFullLine()
    {
        Directory.CreateDirectory(_temp["work"]);
        var result = await MapleProcess.RunOnTerminalAsync(Train(_temp["work/run"], "--epochs", "1", "--shots", "1"), columns: 120,
            workingDirectory: _temp["work"]);

        Assert.Equal(0, result.ExitCode);
        var screen = TerminalScreen.Show(result.Output, 120);
        Assert.Empty(screen.Wraps);
        var display = Assert.Single(screen.Rows, r => r.Contains("ETA", StringComparison.Ordinal) || r.Contains("elapsed", StringComparison.Ordinal));
        Assert.Matches(@"^training ━{10,40} 100%  epoch 1/1, step 1/1, loss \d+\.\d{3}, acc \d+%, lr [0-9.E-]+, [\d.]+ img/s  \d\d:\d\d elapsed, ETA 00:00$", display);
        // One shot of three classes, batch 3: a single step, counted in the singular.
        Assert.Contains("maple: 3 images, 3 classes, 1 epoch of 1 step, batch 3, lr 0.0035; prompt \"a photo of a astronaut.\"", screen.Rows);
        // Paths under the current folder are shown relative to it.
        Assert.Contains("wrote run/prompt.safetensors", screen.Rows);
        Assert.Contains("wrote run/curves.png", screen.Rows);
        Assert.True(new FileInfo(_temp["work/run/curves.png"]).Length > 1000);
        Assert.Contains(File.ReadAllLines(_temp["work/run/train.log"]), l =>
            l.EndsWith(" settings: n_ctx 2, n_ctx_vision 2, text depth 3, vision depth 3, ctx_init \"a photo of a\", training {\"epochs\":1,\"batch_size\":3,\"lr\":0.0035,"
                + "\"momentum\":0.9,\"weight_decay\":0.0005,\"schedule\":\"cosine\",\"warmup_epochs\":1,\"warmup_lr\":1E-05,\"seed\":1,\"augment\":true,\"shuffle\":true}",
                StringComparison.Ordinal));
    }

    [Fact]
    public async Task CtrlCSaysHowToContinueAndResumeSaysWhereItContinues()
    {
        var run = _temp["run"];
        var interrupted = await MapleProcess.RunOnTerminalAsync(Train(run, "--epochs", "20"), columns: 80, whileRunning: async (process, output) =>
        {
            await MapleProcess.WaitForAsync(process, output, "epoch 2/20"); // 18 epochs left: the signal lands mid-run
            MapleProcess.Interrupt(process);
        });

        Assert.Equal(130, interrupted.ExitCode);
        var screen = TerminalScreen.Show(interrupted.Output, 80);
        Assert.Empty(screen.Wraps);
        var message = Assert.Single(screen.Rows, r => r.Contains("interrupted", StringComparison.Ordinal));
        Assert.Matches(@"^interrupted at epoch \d+, step [0-3]/3; rerun with --resume to continue$", message);
        Assert.DoesNotContain(screen.Rows, r => r.Contains("cancelled", StringComparison.Ordinal));
        var checkpoint = Directory.GetFiles(Path.Combine(run, "checkpoints")).Order(StringComparer.Ordinal).Last();
        var epochsDone = int.Parse(Path.GetFileNameWithoutExtension(checkpoint)["epoch-".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(File.Exists(Path.Combine(run, "prompt.safetensors")));

        // Piped into a log: complete lines, no carriage returns or escape codes, none cut at 80 columns.
        var resumed = await MapleProcess.RunPipedAsync(Train(run, "--epochs", "20", "--resume"));

        Assert.Equal(0, resumed.ExitCode);
        Assert.Equal("", resumed.Error);
        Assert.DoesNotContain('\r', resumed.Output);
        Assert.DoesNotContain('\u001b', resumed.Output);
        var lines = resumed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains($"resuming after epoch {epochsDone}/20 (step {3 * epochsDone}/60) from {checkpoint}", lines);
        Assert.Contains(lines, l => l.StartsWith("model ", StringComparison.Ordinal) && l.Length > 80 && l.EndsWith(", embed 64", StringComparison.Ordinal));
        var progress = lines.Where(l => l.StartsWith("training:", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(progress);
        foreach (var line in progress)
            Assert.Matches(@"^training: \d+% \(\d+/60\), epoch \d+/20, step [1-3]/3, loss \d+\.\d{3}, acc \d+%, lr [0-9.E-]+, [\d.]+ img/s, \d\d:\d\d elapsed(, ETA \d\d:\d\d)?$", line);
        Assert.StartsWith("training: 100% (60/60), epoch 20/20, step 3/3,", progress[^1]);
        Assert.DoesNotContain("ETA", progress[^1]);
        Assert.True(File.Exists(Path.Combine(run, "prompt.safetensors")));
    }

    [Fact]
    public async Task ResumeOnAFolderWithoutARunIsAnError()
    {
        Directory.CreateDirectory(_temp["empty"]);
        var result = await MapleProcess.RunPipedAsync(Train(_temp["empty"], "--resume"));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: {_temp["empty"]} holds no run to resume (no train.log, no checkpoint); leave out --resume to start one\n", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task MoreShotsThanAClassHasAreRefusedNamingTheShortClasses()
    {
        var result = await MapleProcess.RunPipedAsync(Train(_temp["run"], "--shots", "4"));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: --shots 4: 3 of 3 classes in {_temp["data"]} have fewer images: 'astronaut' (3), 'coffee cup' (3), 'tabby cat' (3); "
            + "use --shots 3 or fewer\n", result.Error);
        Assert.False(Directory.Exists(_temp["run/split_fewshot"]));
    }

    [Fact]
    public async Task NegativeThreadsAreRefused()
    {
        var result = await MapleProcess.RunPipedAsync(Train(_temp["run"], "--threads", "-5"));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: --threads must be from 0 to 1024 (got -5)\n", result.Error);
    }
}
