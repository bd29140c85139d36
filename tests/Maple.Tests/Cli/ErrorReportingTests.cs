using System.CommandLine;
using Maple.Cli;
using Maple.Tests.Training;
using Maple.Training;

namespace Maple.Tests.Cli;

/// <summary>Every error is one line: the user's (exit 1) or Maple's (exit 70, with the trace in a crash log).</summary>
public sealed class ErrorReportingTests
{
    static RootCommand Throwing(Exception error)
    {
        var command = new Command("fail");
        command.SetAction(new Func<ParseResult, int>(_ => throw error));
        return new RootCommand { command };
    }

    static async Task<(int Code, string Error)> RunAsync(RootCommand root, string crashFolder, params string[] args)
    {
        using var error = new StringWriter();
        var code = await CommandRunner.InvokeAsync(root, args, error, crashFolder);
        return (code, error.ToString());
    }

    [Fact]
    public async Task AUserErrorIsOneLineAndExitOne()
    {
        using var temp = new TempFolder();
        foreach (var userError in new Exception[]
        {
            new UserInputException("data/x.json: label 7 is outside the 3 class names; fix the split file"),
            new InvalidDataException("data/x.json: label 7 is outside the 3 class names; fix the split file"),
            new FileNotFoundException("data/x.json: label 7 is outside the 3 class names; fix the split file"),
            new AggregateException(new UserInputException("data/x.json: label 7 is outside the 3 class names; fix the split file")),
        })
        {
            var (code, error) = await RunAsync(Throwing(userError), temp["crash"], "fail");
            Assert.Equal(1, code);
            Assert.Equal("error: data/x.json: label 7 is outside the 3 class names; fix the split file" + Environment.NewLine, error);
        }
        Assert.False(Directory.Exists(temp["crash"]));
    }

    [Fact]
    public async Task AnythingElseIsABugReportedInOneLineWithTheTraceInACrashLog()
    {
        using var temp = new TempFolder();
        foreach (var bug in new Exception[] { new InvalidOperationException("the queue is empty"), new ArgumentException("the queue is empty"), new IOException("the queue is empty") })
        {
            var (code, error) = await RunAsync(Throwing(bug), temp["crash"], "fail");
            Assert.Equal(70, code);
            var lines = error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
            var line = Assert.Single(lines);
            Assert.StartsWith($"internal error (a bug in Maple, not in your input): {bug.GetType().Name}: the queue is empty; the details are in {temp["crash"]}", line);
            var log = line[(line.IndexOf("the details are in ", StringComparison.Ordinal) + "the details are in ".Length)..];
            var text = File.ReadAllText(log);
            Assert.Contains(bug.GetType().FullName!, text);
            Assert.Contains("   at ", text); // the stack trace
            Assert.Contains("\nmaple fail\n", text); // the command line
            File.Delete(log);
        }
    }

    [Fact]
    public async Task ABugWhoseMessageCarriesNativeFramesIsStillOneShortLine()
    {
        using var temp = new TempFolder();
        // How TorchSharp reports a libtorch error: the message, then libtorch's own stack frames.
        var bug = new System.Runtime.InteropServices.ExternalException(
            "index out of range in self\nException raised from operator() at /pytorch/aten/src/ATen/native/TensorAdvancedIndexing.cpp:1756 " +
            "(most recent call first):\nframe #0: c10::Error::Error(c10::SourceLocation) + 0xb0 (0x7f1446fce1a0 in libc10.so)\n");

        var (code, error) = await RunAsync(Throwing(bug), temp["crash"], "fail");

        Assert.Equal(70, code);
        var line = Assert.Single(error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^internal error \(a bug in Maple, not in your input\): ExternalException: index out of range in self; the details are in \S+\.log$", line);
        var log = line[(line.IndexOf("the details are in ", StringComparison.Ordinal) + "the details are in ".Length)..];
        Assert.Contains("frame #0: c10::Error::Error", File.ReadAllText(log));
    }

    [Fact]
    public async Task AnImagePixelLimitBelowOneIsTheUsersError()
    {
        using var temp = new TempFolder();
        var data = PhotoFolder.Create(temp["data"]);

        var (code, error) = await CliRunner.RunAsync("eval", "--model", Fixtures.TinyMapleModel, "--data", data, "--output", temp["r.json"], "--max-image-pixels", "0");

        Assert.Equal(1, code);
        Assert.Equal($"error: --max-image-pixels must be at least 1, not 0{Environment.NewLine}", error);
    }

    [Fact]
    public async Task AnImageOverThePixelLimitNamesTheFlagThatRaisesIt()
    {
        using var temp = new TempFolder();
        // What ImageDecoder throws for small_100x80.png under a limit of 7,999 (HostileImageTests); the CLI adds the flag.
        var overLimit = new Maple.Imaging.ImageDecodeException("data/cat/small.png",
            "the image declares 100x80 = 8,000 pixels, above the limit of 7,999 (a decompression bomb?); raise the image pixel limit only for an image you trust")
        {
            OverPixelLimit = true,
        };

        var (code, error) = await RunAsync(Throwing(overLimit), temp["crash"], "fail");
        var (otherCode, otherError) = await RunAsync(Throwing(new Maple.Imaging.ImageDecodeException("data/cat/a.png", "the file is empty (0 bytes)")), temp["crash"], "fail");

        Assert.Equal(1, code);
        Assert.Equal("error: Cannot decode image 'data/cat/small.png': the image declares 100x80 = 8,000 pixels, above the limit of 7,999 " +
            "(a decompression bomb?); raise the image pixel limit only for an image you trust (--max-image-pixels N)" + Environment.NewLine, error);
        Assert.Equal(1, otherCode);
        Assert.Equal("error: Cannot decode image 'data/cat/a.png': the file is empty (0 bytes)" + Environment.NewLine, otherError);
    }

    [Fact]
    public async Task ATokenizerLargerThanTheModelsVocabularyIsTheUsersError()
    {
        using var temp = new TempFolder();
        var data = PhotoFolder.Create(temp["data"]);
        var model = Maple.Tests.Import.ImportTestData.File("openai-small.pt"); // 256 tokens; tiny-maple's tokenizer has CLIP's 49,408

        var (code, error) = await CliRunner.RunAsync("eval", "--model", model, "--tokenizer", Fixtures.TinyMapleModel, "--data", data,
            "--output", temp["r.json"], "--precision", "fp32");

        Assert.Equal(1, code);
        Assert.Equal("error: token id 49407 is past the model's vocabulary of 256 tokens: the tokenizer is not the model's; " +
            "use the tokenizer that belongs to the model" + Environment.NewLine, error);
    }

    [Fact]
    public async Task AParseErrorIsOneLineAndAHintWithoutTypeNames()
    {
        var (code, error) = await CliRunner.RunAsync("train", "--model", "m", "--output", "o", "--epochs", "many");
        Assert.Equal(1, code);
        Assert.Equal($"error: --epochs: 'many' is not a whole number{Environment.NewLine}usage: maple train --model <model> --output <folder> [options]; see 'maple train --help'{Environment.NewLine}", error);

        (code, error) = await CliRunner.RunAsync("benchmark", "base2novel", "--model", "m", "--data-root", "r", "--output", "o", "--seeds", "x");
        Assert.Equal(1, code);
        Assert.Equal($"error: --seeds: 'x' is not a whole number{Environment.NewLine}usage: maple benchmark base2novel --model <model> --data-root <folder> --output <folder> [options]; see 'maple benchmark base2novel --help'{Environment.NewLine}", error);

        (code, error) = await CliRunner.RunAsync("eval", "--model", "m", "--data", "d", "--output", "r.json", "--batch-size", "0");
        Assert.Equal(1, code);
        Assert.Equal($"error: --batch-size must be at least 1 (got 0){Environment.NewLine}usage: maple eval --model <model> [options]; see 'maple eval --help'{Environment.NewLine}", error);

        (code, error) = await CliRunner.RunAsync("train", "--model", "m", "--data", "d", "--output", "o", "--threads", "100000");
        Assert.Equal(1, code);
        Assert.Equal($"error: --threads must be from 0 to 1024 (got 100000){Environment.NewLine}usage: maple train --model <model> --output <folder> [options]; see 'maple train --help'{Environment.NewLine}", error);

        (code, error) = await CliRunner.RunAsync("train", "--data", "d");
        Assert.Equal(1, code);
        Assert.Equal(2, error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.DoesNotContain("System.", error);
    }

    [Theory]
    [InlineData("--lr", "Infinity", "error: --lr must be a positive finite number (got Infinity)")]
    [InlineData("--momentum", "NaN", "error: --momentum must be a finite number, zero or more (got NaN)")]
    [InlineData("--weight-decay", "-1", "error: --weight-decay must be a finite number, zero or more (got -1)")]
    [InlineData("--warmup-epochs", "-1", "error: --warmup-epochs must be at least 0 (got -1)")]
    public async Task InvalidTrainingOptionsNameTheFlag(string flag, string value, string expected)
    {
        using var temp = new TempFolder();
        var data = PhotoFolder.Create(temp["data"]);
        var (code, error) = await CliRunner.RunAsync("train", "--model", Fixtures.TinyMapleModel, "--data", data, "--output", temp["run"], flag, value);
        Assert.Equal(1, code);
        Assert.Equal(expected + Environment.NewLine, error);
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public async Task TrainingRefusalsNameTheFlagsAndTheOtherRun()
    {
        using var temp = new TempFolder();
        var data = PhotoFolder.Create(temp["data"]);
        string[] Train(params string[] extra) =>
            ["train", "--model", Fixtures.TinyMapleModel, "--data", data, "--output", temp["run"], "--depth", "3", "--epochs", "1", "--batch-size", "3", "--precision", "fp32", .. extra];

        // A run that diverges in its first epoch (no warm-up) leaves no checkpoint and names --lr.
        var (code, error) = await CliRunner.RunAsync(Train("--lr", "1e30", "--warmup-epochs", "0"));
        Assert.Equal(1, code);
        Assert.Matches(@"^error: loss became (NaN|infinite) at epoch 1, step \d+; try a lower --lr\r?\n$", error);
        Assert.Null(TrainingCheckpoint.Latest(temp["run"]));

        Assert.Equal(0, (await CliRunner.RunAsync(Train())).Code);
        (code, error) = await CliRunner.RunAsync(Train());
        Assert.Equal(1, code);
        Assert.Equal($"error: {temp["run"]} already holds a run ({TrainingCheckpoint.PathFor(temp["run"], 0)}); pass --resume to continue it, or choose another --output{Environment.NewLine}", error);

        (code, error) = await CliRunner.RunAsync(Train("--resume", "--lr", "0.5"));
        Assert.Equal(1, code);
        Assert.Equal($"error: {TrainingCheckpoint.PathFor(temp["run"], 0)}: cannot resume a different run: lr was 0.0035, now 0.5; use the run's settings or another output folder{Environment.NewLine}", error);

        using (RunLock.Acquire(temp["run"]))
        {
            (code, error) = await CliRunner.RunAsync(Train("--resume"));
            Assert.Equal(1, code);
            Assert.StartsWith($"error: {temp["run"]} is in use by another run (PID {Environment.ProcessId} on {Environment.MachineName} since ", error);
        }
        Assert.Equal(0, (await CliRunner.RunAsync(Train("--resume"))).Code);
    }

    [Fact]
    public async Task ABenchmarkIntoAHeldFolderIsRefused()
    {
        using var temp = new TempFolder();
        using (RunLock.Acquire(temp["bench"]))
        {
            var (code, error) = await CliRunner.RunAsync("benchmark", "base2novel", "--model", Fixtures.TinyMapleModel, "--data-root", temp["none"], "--output", temp["bench"]);
            Assert.Equal(1, code);
            Assert.StartsWith($"error: {temp["bench"]} is in use by another run (PID {Environment.ProcessId} on {Environment.MachineName} since ", error);
        }
    }
}
