using Maple.Clip;
using Maple.Prompting;
using Maple.Tokenization;
using Maple.Training;
using static TorchSharp.torch;

namespace Maple.Bench.Cases;

/// <summary>
/// One MaPLe training step (n_ctx 2, ctx_init "a photo of a", depth 9, batch 4): forward through both
/// encoders, cross-entropy, backward into the prompts, SGD. Timed per phase, averaged after a warm-up.
/// </summary>
public sealed class TrainStepCase : IBenchCase
{
    /// <summary>The PyTorch 1.13 + OpenBLAS step on this machine: 2 threads, fp32, 10 classes.</summary>
    public const double PyTorchReferenceSeconds = 5.3;

    static readonly string[] Phases = ["text_forward", "image_forward", "loss", "backward", "sgd"];

    /// <inheritdoc />
    public IEnumerable<Measurement> Run(CaseArguments args)
    {
        var precision = args.Precision;
        var classes = args.Int("classes", 10);
        var batch = args.Int("batch", 4);
        var steps = args.Int("iterations", 3);
        var folder = args.Get("model");

        using var clip = ClipModel.Load(folder, precision);
        clip.MemorySavingBackward = args.Int("memory_saving", 0) == 1;
        var tokenizer = ClipTokenizer.FromDirectory(folder);
        var learner = PromptLearners.Create(PromptConfig.Maple(), clip, tokenizer, seed: 1);
        using var _ = learner;
        using var maple = new PromptedClip(clip, learner, tokenizer, ClassPrompts.Names(folder, classes));
        using var sgd = new Sgd(learner.Parameters, momentum: 0.9, weightDecay: 5e-4);
        using var generator = new Generator(4);
        using var pixels = randn([batch, 3, 224, 224], generator: generator);
        using var labels = randint(classes, [batch], generator: generator);
        var endOfText = maple.TokenIds.argmax(-1);
        var (eotMin, eotMax) = (endOfText.min().item<long>(), endOfText.max().item<long>());

        var totals = Phases.ToDictionary(p => p, _ => 0.0);
        var rss = new Dictionary<string, double>();
        var stepSeconds = new List<double>();
        void Step(bool record)
        {
            using var scope = NewDisposeScope();
            var times = new double[Phases.Length];
            var timing = new Timing();
            var last = 0.0;
            void Lap(int phase)
            {
                var now = timing.Seconds;
                times[phase] = now - last;
                last = now;
            }

            sgd.ZeroGrad();
            ProcessMemory.ResetPeak();
            rss["live_at_step_start_mb"] = ProcessMemory.MallocInUseMb();
            var text = maple.TextFeatures();
            Lap(0);
            // Where the step's memory goes: what each forward keeps for backward, and backward's own peak.
            rss["rss_after_text_forward_mb"] = ProcessMemory.RssMb();
            rss["live_after_text_forward_mb"] = ProcessMemory.MallocInUseMb();
            var image = maple.ImageFeatures(pixels);
            Lap(1);
            rss["rss_after_image_forward_mb"] = ProcessMemory.RssMb();
            rss["live_after_image_forward_mb"] = ProcessMemory.MallocInUseMb();
            rss["peak_rss_forward_mb"] = ProcessMemory.PhasePeakRssMb();
            ProcessMemory.ResetPeak();
            var loss = nn.functional.cross_entropy(clip.Logits(image, text), labels);
            Lap(2);
            loss.backward();
            Lap(3);
            rss["peak_rss_backward_mb"] = ProcessMemory.PhasePeakRssMb();
            sgd.Step(0.0035);
            Lap(4);
            if (!float.IsFinite(loss.item<float>()))
                throw new InvalidOperationException("the loss is not finite");
            stepSeconds.Add(timing.Seconds);
            if (record)
            {
                for (var p = 0; p < Phases.Length; p++)
                    totals[Phases[p]] += times[p];
            }
        }

        for (var i = 0; i < args.Int("warmup", 1); i++)
            Step(record: false);
        var all = new Timing();
        for (var i = 0; i < steps; i++)
            Step(record: true);
        var (seconds, cpuSeconds) = (all.Seconds / steps, all.CpuSeconds / steps);

        // The text side alone (class prompts' forward and backward into the prompts), against fixed image features.
        (double Seconds, double CpuSeconds)? textSide = null;
        if (classes >= 1000)
        {
            using var scope = NewDisposeScope();
            Tensor image;
            using (no_grad())
                image = maple.ImageFeatures(pixels);
            sgd.ZeroGrad();
            var timing = new Timing();
            nn.functional.cross_entropy(clip.Logits(image, maple.TextFeatures()), labels).backward();
            textSide = (timing.Seconds, timing.CpuSeconds);
        }

        var name = PrecisionSupport.Name(precision);
        var textFlops = Flops.Text(clip.Config, endOfText.data<long>().ToArray());
        var imageFlops = Flops.Image(clip.Config, batch, learner.Config.VisionTokens);
        var stepGflop = textFlops.Forward + textFlops.Backward + imageFlops.Forward + imageFlops.Backward;
        var setting = $"{name}, {args.Threads} thread(s), {classes} classes, batch {batch}";
        double? target = (args.Threads, precision, classes) switch
        {
            (1, Precision.Fp32, 10) => 3.5,
            (1, Precision.Bf16, 10) => 1.0,
            (1, Precision.Bf16, 100) => 2.0,
            (1, Precision.Bf16, 1000) => 12.0,
            _ => null,
        };
        var details = totals.ToDictionary(p => p.Key, p => p.Value / steps);
        details["cpu_seconds_per_step"] = cpuSeconds;
        foreach (var (key, value) in rss)
            details[key] = value;
        details["steps"] = steps;
        details["eot_min"] = eotMin;
        details["eot_max"] = eotMax;
        details["gflop"] = stepGflop;
        details["first_step"] = stepSeconds[0];
        double? limitTarget = (args.Threads, precision, classes) switch
        {
            (1, Precision.Bf16, 10) => 0.80,
            (2, Precision.Bf16, 10) => 0.75,
            (_, Precision.Fp32, 10) => 0.70,
            _ => null,
        };
        yield return new Measurement("train", setting, "step time", seconds, "s",
            target, target is null ? TargetKind.None : TargetKind.AtMost, Details: details,
            Precision: name, Threads: args.Threads, AchievedGflops: stepGflop / seconds, LimitTarget: limitTarget);
        if (stepSeconds.Count > 1)
        {
            // One-time costs (kernel creation, first allocations, JIT) show in the first step; the brief asks none.
            yield return new Measurement("train", setting, "first step over the second", stepSeconds[0] / stepSeconds[1], "×",
                1.0, TargetKind.AtMost, Details: new() { ["first_step"] = stepSeconds[0], ["second_step"] = stepSeconds[1] });
        }
        if (textSide is var (textSeconds, textCpuSeconds))
        {
            yield return new Measurement("train", setting, "text side (forward + backward)", textSeconds, "s",
                Details: new() { ["seconds"] = textSeconds, ["cpu_seconds"] = textCpuSeconds },
                Precision: name, Threads: args.Threads, AchievedGflops: (textFlops.Forward + textFlops.Backward) / textSeconds, LimitTarget: 0.70);
        }
        if ((precision, classes) is (Precision.Bf16, 1000) && args.Threads == 1)
            yield return new Measurement("train", setting, "peak RSS", ProcessMemory.PeakRssMb(), "MB", 2500, TargetKind.AtMost);
        if ((precision, classes) is (Precision.Fp32, 10))
        {
            yield return new Measurement("train", setting, $"speed-up vs PyTorch 1.13 (2 threads, fp32: {PyTorchReferenceSeconds} s)",
                PyTorchReferenceSeconds / seconds, "×");
        }
    }
}
