using Maple.Clip;
using Maple.Imaging;
using Maple.Prompting;
using Maple.Tokenization;
using static TorchSharp.torch;

namespace Maple.Bench.Cases;

/// <summary>
/// The fixed cost of a short job: <c>maple predict</c> of one PNG with zero-shot prompts for 10 classes, as a
/// whole process (median of warm runs), and the same work in this process stage by stage: runtime start, libtorch
/// load, weight mapping, tokenizer, class prompts' text features (twice), image decoding, the first forward (which creates
/// the kernels) and a second one.
/// </summary>
public sealed class PredictCase : IBenchCase
{
    /// <summary>The brief's target for the whole <c>maple predict</c> process, warm, in seconds.</summary>
    public const double TargetSeconds = 0.6;

    /// <inheritdoc />
    public IEnumerable<Measurement> Run(CaseArguments args)
    {
        var folder = args.Get("model");
        var precision = args.Precision;
        var runs = args.Int("iterations", 3);
        var work = Directory.CreateTempSubdirectory("maple-bench-predict-").FullName;
        try
        {
            var image = Path.Combine(work, "photo-500x375.png");
            PreprocessCase.WritePhoto(image, 500, 375);
            var classesFile = Path.Combine(work, "classes.txt");
            File.WriteAllLines(classesFile, ClassPrompts.Names(folder, 10));
            var setting = $"{PrecisionSupport.Name(precision)}, {args.Threads} thread(s), 1 PNG, 10 classes";
            var results = new List<Measurement>();
            if (args.Get("cli", "") is { Length: > 0 } cli)
                results.Add(WholeProcess(cli, folder, classesFile, image, args, runs, setting));
            else
                results.Add(new Measurement("predict", setting, "maple predict, whole process", double.NaN, "s",
                    TargetSeconds, TargetKind.AtMost, Note: "skipped: build src/Maple.Cli (dotnet build Maple.sln -c Release)"));
            results.AddRange(Stages(folder, precision, classesFile, image, setting, args));
            return results;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    static Measurement WholeProcess(string cli, string folder, string classesFile, string image, CaseArguments args, int runs, string setting)
    {
        string[] arguments = ["predict", "--model", folder, "--classes", classesFile, "--precision", args.PrecisionName,
            "--threads", args.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture), image];
        string[] command = [cli, .. arguments];
        ExternalProcess.Run(command); // the page cache and the runtime's files are warm from here on
        var samples = Enumerable.Range(0, runs).Select(_ => ExternalProcess.Run(command)).OrderBy(s => s.Wall).ToList();
        var median = samples[samples.Count / 2];
        return new Measurement("predict", setting, $"maple predict, whole process (median of {runs} warm runs)", median.Wall, "s",
            TargetSeconds, TargetKind.AtMost,
            Details: new()
            {
                ["seconds"] = median.Wall,
                ["cpu_seconds"] = median.Cpu,
                ["fastest"] = samples[0].Wall,
                ["slowest"] = samples[^1].Wall,
            });
    }

    static IEnumerable<Measurement> Stages(string folder, Precision precision, string classesFile, string image, string setting, CaseArguments args)
    {
        var stages = new List<(string Name, double Seconds, double CpuSeconds)>
        {
            ("runtime start (process start to entry point)", StartupClock.RuntimeStartSeconds, StartupClock.RuntimeStartCpuSeconds),
            ("libtorch load (first call)", StartupClock.NativeLoadSeconds, StartupClock.NativeLoadCpuSeconds),
        };
        T Stage<T>(string name, Func<T> work)
        {
            var timing = new Timing();
            var result = work();
            stages.Add((name, timing.Seconds, timing.CpuSeconds));
            return result;
        }

        // The modules alone (the runtime compiles their code here), then the whole load: modules again and the weights.
        var config = Stage("config", () => Clip.Weights.ClipWeightLoader.ReadConfig(folder));
        Stage("modules alone (new ClipModel, first time)", () => new ClipModel(config, precision)).Dispose();
        using var clip = Stage("weights (ClipModel.Load: modules again + weights)", () => ClipModel.Load(folder, precision));
        // The class names above loaded the model's tokenizer, and loads are cached by file: a copy of its files is
        // read afresh, as maple's one load is (beside the weights, on another core).
        var tokenizerCopy = Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(classesFile)!, "tokenizer")).FullName;
        foreach (var name in new[] { "vocab.json", "merges.txt" })
            File.Copy(Path.Combine(folder, name), Path.Combine(tokenizerCopy, name));
        var tokenizer = Stage("tokenizer (vocab.json and merges.txt read and parsed)", () => ClipTokenizer.FromDirectory(tokenizerCopy));
        using var _ = no_grad();
        using var learner = PromptLearners.Create(PromptConfig.ZeroShot(), clip, tokenizer, seed: 0);
        using var prompted = new PromptedClip(clip, learner, tokenizer, File.ReadAllLines(classesFile));
        using var text = Stage("class prompts' text features", prompted.TextFeatures);
        Stage("class prompts' text features, again", prompted.TextFeatures).Dispose();
        var transform = new EvalTransform(clip.Config.Vision.ImageSize, clip.Normalization);
        using var pixels = Stage("decode + eval transform", () => transform.Load(image).unsqueeze(0));
        using var first = Stage("first image forward (kernels created)", () => prompted.Logits(pixels, text));
        using var second = Stage("second image forward", () => prompted.Logits(pixels, text));
        if (!first.allclose(second))
            throw new InvalidOperationException("two forward passes of one image disagree");

        var imageGflop = Flops.Image(clip.Config, 1, 0).Forward;
        foreach (var (name, seconds, cpu) in stages)
        {
            var forward = name.Contains("image forward", StringComparison.Ordinal);
            yield return new Measurement("predict", setting, $"stage: {name}", seconds, "s",
                Precision: forward ? args.PrecisionName : null, Threads: args.Threads,
                AchievedGflops: forward ? imageGflop / seconds : null,
                Details: double.IsNaN(cpu) ? null : new() { ["seconds"] = seconds, ["cpu_seconds"] = cpu });
        }
    }
}
