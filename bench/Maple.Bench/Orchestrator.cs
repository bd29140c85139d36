namespace Maple.Bench;

/// <summary>The parent process: writes the model once, runs every case in a child, prints the table.</summary>
public static class Orchestrator
{
    /// <summary>Runs the benchmark described by <paramref name="options"/>; returns the exit code.</summary>
    public static int Run(BenchOptions options, IReadOnlyList<string> args)
    {
        var environment = RunEnvironment.Capture(args, options.Quick);
        var plan = BenchPlan.Create(options);
        var results = new List<Measurement>();

        if (plan.Any(r => r.Settings.ContainsKey("model") && r.Case is not "gemm" and not "preprocess"))
        {
            Console.Error.WriteLine($"model: {options.ModelFolder}");
            var prepare = ChildProcess.Run(CaseArguments.Format("prepare", new Dictionary<string, string>
            {
                ["model"] = options.ModelFolder,
                ["tokenizer"] = options.Tokenizer ?? "",
            }), options.Timeout);
            if (prepare.Error is not null)
            {
                Console.Error.WriteLine($"could not write the benchmark model: {prepare.Error}");
                return 1;
            }
            results.AddRange(prepare.Measurements);
        }
        var hasTokenizer = BenchModel.HasTokenizer(options.ModelFolder);

        for (var i = 0; i < plan.Count; i++)
        {
            var run = plan[i];
            if (run.NeedsTokenizer && !hasTokenizer)
            {
                results.Add(new Measurement(run.Case, run.Label, "skipped", double.NaN, "",
                    Note: "needs CLIP's vocab.json and merges.txt: pass --tokenizer DIR"));
                continue;
            }
            Console.Error.WriteLine($"[{i + 1}/{plan.Count}] {run.Label}");
            results.AddRange(RunRepeated(run, options.Timeout));
        }

        environment = environment with { LoadAverageAfter = RunEnvironment.LoadAverage() };
        var markdown = Report.Markdown(environment, results);
        Console.WriteLine(markdown);
        if (options.Output is { } output)
        {
            var json = output.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
            AtomicFile.WriteText(output, json ? Report.Json(environment, results) : markdown);
            Console.Error.WriteLine($"results written to {Path.GetFullPath(output)}");
        }
        return 0;
    }

    static List<Measurement> RunRepeated(PlannedRun run, TimeSpan timeout)
    {
        var arguments = CaseArguments.Format(run.Case, run.Settings);
        var outcomes = new List<List<Measurement>>();
        for (var repeat = 0; repeat < run.Repeats; repeat++)
        {
            var outcome = ChildProcess.Run(arguments, timeout, run.Environment);
            var measurements = outcome.Measurements.Select(m => m with { Setting = m.Setting + run.EnvironmentText }).ToList();
            if (outcome.Error is not null)
                return [.. measurements, new Measurement(run.Case, run.Label, "failed", double.NaN, "", Note: outcome.Error)];
            outcomes.Add(measurements);
        }
        if (outcomes.Count == 1 || outcomes[0].Count == 0)
            return outcomes[0];

        // The median run by its first figure, so one disturbed run (the machine is shared) does not count.
        var ordered = outcomes.OrderBy(o => o[0].Value).ToList();
        var median = ordered[ordered.Count / 2];
        var details = new Dictionary<string, double>(median[0].Details ?? [])
        {
            ["repeats"] = outcomes.Count,
            ["repeat_min"] = ordered[0][0].Value,
            ["repeat_max"] = ordered[^1][0].Value,
        };
        return [median[0] with { Details = details, Note = $"median of {outcomes.Count}" }, .. median.Skip(1)];
    }
}
