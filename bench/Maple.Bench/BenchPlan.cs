using System.Globalization;

namespace Maple.Bench;

/// <summary>One child process to start: a case with its settings, repeated to take the median.</summary>
/// <param name="Case">The case's name.</param>
/// <param name="Settings">The child's <c>--key value</c> options.</param>
/// <param name="Repeats">How many children to run; the parent keeps the one with the median first figure.</param>
/// <param name="NeedsTokenizer">Whether the case builds MaPLe prompts from text (train, eval).</param>
/// <param name="Environment">Environment variables for the child (an allocator setting), named in the figures' setting.</param>
public sealed record PlannedRun(string Case, Dictionary<string, string> Settings, int Repeats = 1, bool NeedsTokenizer = false,
    IReadOnlyDictionary<string, string>? Environment = null)
{
    /// <summary>A one-line description for progress output.</summary>
    public string Label => $"{Case} " + string.Join(" ", Settings.Where(s => s.Key != "model").Select(s => $"{s.Key}={s.Value}"))
        + EnvironmentText;

    /// <summary>The environment variables as the table shows them ("" when there are none).</summary>
    public string EnvironmentText => Environment is { Count: > 0 } variables
        ? " with " + string.Join(" ", variables.Select(v => $"{v.Key}={v.Value}"))
        : "";
}

/// <summary>The child runs a benchmark consists of, from the options.</summary>
public static class BenchPlan
{
    /// <summary>glibc setting: blocks of 1 MiB and more are mmap'd, so freeing them returns them to the system.</summary>
    public static IReadOnlyDictionary<string, string> ReturnFreedMemory { get; } =
        new Dictionary<string, string> { ["MALLOC_MMAP_THRESHOLD_"] = "1048576" };

    /// <summary>Every run, in order.</summary>
    public static List<PlannedRun> Create(BenchOptions options)
    {
        var quick = options.Quick;
        var model = options.ModelFolder;
        var threads = options.Threads;
        string[] precisions = ["fp32", "bf16"];
        var runs = new List<PlannedRun>();
        Dictionary<string, string> Settings(params (string Key, object Value)[] values)
        {
            var settings = new Dictionary<string, string> { ["model"] = model };
            foreach (var (key, value) in values)
                settings[key] = Convert.ToString(value, CultureInfo.InvariantCulture)!;
            return settings;
        }

        foreach (var name in options.Cases)
        {
            switch (name)
            {
                case "gemm":
                    foreach (var p in precisions)
                        foreach (var t in threads)
                            runs.Add(new("gemm", Settings(("precision", p), ("threads", t), ("iterations", quick ? 3 : 10))));
                    break;
                case "load":
                    // Loading is one memcpy per tensor: threads do not matter, repeats do (page cache, allocator).
                    foreach (var p in precisions)
                        runs.Add(new("load", Settings(("precision", p), ("threads", threads[0])), Repeats: quick ? 1 : 3));
                    break;
                case "predict":
                    // The CLI runs with its defaults' precision on this machine (bf16 where native), one thread.
                    runs.Add(new("predict", Settings(("precision", "bf16"), ("threads", 1), ("iterations", quick ? 3 : 5), ("cli", options.Cli ?? "")),
                        NeedsTokenizer: true));
                    break;
                case "job":
                    // Beside PyTorch's 2-thread fp32 reference: the job's threads are the last of --threads.
                    runs.Add(new("job", Settings(("threads", threads[^1]), ("iterations", quick ? 1 : 3), ("cli", options.Cli ?? ""),
                        ("script", options.PyTorchJobScript ?? ""), ("python", options.Python)), NeedsTokenizer: true));
                    break;
                case "image":
                    foreach (var p in precisions)
                        foreach (var t in threads)
                            runs.Add(new("image", Settings(("precision", p), ("threads", t), ("batch", 32), ("warmup", 1), ("iterations", quick ? 1 : 3))));
                    break;
                case "text":
                    foreach (var p in precisions)
                        foreach (var t in threads)
                            runs.Add(new("text", Settings(("precision", p), ("threads", t), ("classes", 100), ("warmup", 1), ("iterations", quick ? 3 : 10))));
                    break;
                case "train":
                    // The targets are for one thread; two threads are measured at 10 classes, the reference's setting.
                    foreach (var p in precisions)
                    {
                        foreach (var classes in new[] { 10, 100, 1000 })
                        {
                            var counts = threads.Where(t => t == 1 || classes == 10 || !threads.Contains(1));
                            foreach (var t in counts)
                            {
                                // 1,000 class prompts opt into the memory-saving backward (what keeps the step's RSS in
                                // bounds); fewer take autograd's faster backward.
                                var settings = Settings(("precision", p), ("threads", t), ("classes", classes), ("batch", 4),
                                    ("warmup", 1), ("iterations", quick ? 1 : 3), ("memory_saving", classes >= 1000 ? 1 : 0));
                                runs.Add(new("train", settings, NeedsTokenizer: true));
                                // glibc keeps freed heap memory for reuse, so RSS runs well above the live tensors; the
                                // same step with large blocks returned to the system shows the other side of that trade.
                                if (p == "bf16" && classes == 1000 && t == 1)
                                    runs.Add(new("train", settings, NeedsTokenizer: true, Environment: ReturnFreedMemory));
                            }
                        }
                    }
                    break;
                case "eval":
                    foreach (var classes in new[] { 100, 1000 })
                        foreach (var t in threads)
                            runs.Add(new("eval", Settings(("precision", "bf16"), ("threads", t), ("classes", classes), ("batch", 32),
                                ("warmup", 1), ("iterations", quick ? 1 : 3)), NeedsTokenizer: true));
                    break;
                case "train-mmrl":
                    // Beside the train case's MaPLe step at the same settings.
                    foreach (var classes in new[] { 10, 1000 })
                        runs.Add(new("train-mmrl", Settings(("precision", precisions[0]), ("threads", threads[0]), ("classes", classes), ("batch", 4),
                            ("warmup", 1), ("iterations", quick ? 1 : 3)), NeedsTokenizer: true));
                    break;
                case "preprocess":
                    runs.Add(new("preprocess", Settings(("threads", 1), ("iterations", quick ? 50 : 300))));
                    break;
                case "promptsrc":
                    // Beside MaPLe's step, one thread: 10 classes in both precisions, 1,000 in bf16 (in fp32 the
                    // frozen text features of 60,000 prompts alone take minutes).
                    foreach (var (p, classes) in precisions.Select(p => (p, 10)).Append(("bf16", 1000)))
                        runs.Add(new("promptsrc", Settings(("precision", p), ("threads", threads[0]), ("classes", classes), ("batch", 4),
                            ("warmup", 1), ("iterations", quick ? 1 : 3)), NeedsTokenizer: true));
                    break;
            }
        }
        // The limit is measured again last: on a shared or virtual machine one measurement can be slowed (a second
        // core that comes and goes), and the faster of the two is the limit every share is taken against.
        var limits = runs.Where(r => r.Case == "gemm").ToList();
        if (limits.Count > 0 && limits.Count < runs.Count)
            runs.AddRange(limits);
        return runs;
    }
}
