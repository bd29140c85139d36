namespace Maple.Bench;

/// <summary>The command line of a benchmark run.</summary>
public sealed class BenchOptions
{
    /// <summary>Every case, in the order they run.</summary>
    public static readonly string[] AllCases = ["gemm", "load", "predict", "image", "text", "train", "eval", "preprocess", "train-mmrl", "promptsrc", "job"];

    /// <summary>Fewer iterations: a smoke run that still gives every figure.</summary>
    public bool Quick { get; private init; }

    /// <summary>The thread counts to measure (1, 2 or both).</summary>
    public int[] Threads { get; private init; } = [1];

    /// <summary>The cases to run.</summary>
    public string[] Cases { get; private init; } = AllCases;

    /// <summary>Where to write the results (.json or .md), if anywhere.</summary>
    public string? Output { get; private init; }

    /// <summary>The folder with vocab.json and merges.txt, if one was found.</summary>
    public string? Tokenizer { get; private init; }

    /// <summary>Where the random ViT-B/16 is written once and reused.</summary>
    public string ModelFolder { get; private init; } = DefaultModelFolder;

    static string DefaultModelFolder => Path.Combine(Path.GetTempPath(), "maple-bench", "vit-b16-random-seed0");

    /// <summary>The built <c>maple</c> command (src/Maple.Cli beside the bench), if there is one.</summary>
    public string? Cli { get; private init; }

    /// <summary>tools/bench/pytorch_job.py in the repository the bench runs from, if found.</summary>
    public string? PyTorchJobScript { get; private init; }

    /// <summary>The Python with PyTorch 1.13 that runs the job case's PyTorch side.</summary>
    public string Python { get; private init; } = "/usr/bin/python3";

    /// <summary>How long one child may run before it is stopped.</summary>
    public TimeSpan Timeout { get; private init; } = TimeSpan.FromMinutes(20);

    /// <summary>The usage text.</summary>
    public const string Usage = """
        Maple.Bench: speed and memory of Maple on a ViT-B/16-sized CLIP with random weights.

          Maple.Bench [--quick] [--threads 1|2|both] [--cases gemm,load,predict,image,text,train,eval,preprocess,train-mmrl,promptsrc,job]
                      [--python PATH]
                      [--output results.json|results.md] [--tokenizer DIR] [--model-dir DIR] [--timeout MINUTES]

        Each case runs in a child process of its own, so its peak RSS is its own. The model is written
        once (Hugging Face format) to --model-dir and reused. The MaPLe cases (train, eval) need CLIP's
        vocab.json and merges.txt: --tokenizer DIR, by default ../shared/fixtures/clip-tokenizer beside
        the repository when present; without them those cases are skipped.

        One case alone, printing its result lines (e.g. to profile):
          Maple.Bench case train --model DIR --precision bf16 --threads 1 --classes 1000 --warmup 1 --iterations 3
          Maple.Bench case profile --model DIR --precision bf16 --batch 4 [--tower text --tokens 10]
        """;

    /// <summary>Parses the parent's command line.</summary>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var quick = false;
        int[] threads = [1];
        var cases = AllCases;
        string? output = null;
        string? tokenizer = null;
        string? modelFolder = null;
        var timeout = TimeSpan.FromMinutes(20);
        var python = "/usr/bin/python3";
        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--threads":
                    threads = Next() switch
                    {
                        "1" => [1],
                        "2" => [2],
                        "both" => [1, 2],
                        var other => throw new ArgumentException($"--threads {other}: expected 1, 2 or both"),
                    };
                    break;
                case "--cases":
                    cases = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    foreach (var name in cases.Where(c => !AllCases.Contains(c)))
                        throw new ArgumentException($"--cases: unknown case '{name}' (known: {string.Join(", ", AllCases)})");
                    break;
                case "--output":
                    output = Next();
                    if (!output.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !output.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
                        throw new ArgumentException($"--output {output}: expected a .json or .md file");
                    break;
                case "--tokenizer":
                    tokenizer = Next();
                    if (!File.Exists(Path.Combine(tokenizer, "vocab.json")) || !File.Exists(Path.Combine(tokenizer, "merges.txt")))
                        throw new ArgumentException($"--tokenizer {tokenizer}: no vocab.json and merges.txt there");
                    break;
                case "--model-dir":
                    modelFolder = Next();
                    break;
                case "--python":
                    python = Next();
                    break;
                case "--timeout":
                    timeout = TimeSpan.FromMinutes(double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture));
                    break;
                default:
                    throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        return new BenchOptions
        {
            Quick = quick,
            Threads = threads,
            Cases = AllCases.Where(cases.Contains).ToArray(),
            Output = output,
            Tokenizer = tokenizer is not null ? Path.GetFullPath(tokenizer) : DefaultTokenizer(),
            ModelFolder = modelFolder is not null ? Path.GetFullPath(modelFolder) : DefaultModelFolder,
            Timeout = timeout,
            Cli = RepositoryFile(Path.Combine("src", "Maple.Cli", "bin", "Release", "net10.0", "Maple.Cli")),
            PyTorchJobScript = RepositoryFile(Path.Combine("tools", "bench", "pytorch_job.py")),
            Python = python,
        };
    }

    // A file of the repository the bench runs from (the built CLI, a tool script), if there is one.
    static string? RepositoryFile(string relativePath)
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relativePath);
                if (File.Exists(Path.Combine(dir.FullName, "Maple.sln")) && File.Exists(candidate))
                    return candidate;
            }
        }
        return null;
    }

    // The shared fixtures sit beside the repository (../shared); the bench also runs from elsewhere without them.
    static string? DefaultTokenizer()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "..", "shared", "fixtures", "clip-tokenizer");
                if (File.Exists(Path.Combine(dir.FullName, "Maple.sln")) && File.Exists(Path.Combine(candidate, "vocab.json")))
                    return Path.GetFullPath(candidate);
            }
        }
        return null;
    }
}
