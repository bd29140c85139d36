using System.Globalization;
using System.Text.Json;

namespace Maple.Bench.Cases;

/// <summary>
/// A short job end to end, beside PyTorch: load the model, read 8 PNGs (one folder per class), take 2 MaPLe steps of
/// batch 4. Maple's side is <c>maple train</c> (fp32 and bf16, which also writes its prompts, log and curves); PyTorch's
/// is tools/bench/pytorch_job.py under Debian's PyTorch 1.13 (fp32). Both are whole processes with the same threads,
/// run back to back; each figure is the median of the repeats.
/// </summary>
public sealed class JobCase : IBenchCase
{
    /// <inheritdoc />
    public IEnumerable<Measurement> Run(CaseArguments args)
    {
        var folder = args.Get("model");
        var threads = args.Threads.ToString(CultureInfo.InvariantCulture);
        var repeats = args.Int("iterations", 1);
        var cli = args.Get("cli", "");
        var script = args.Get("script", "");
        var python = args.Get("python", "/usr/bin/python3");
        var setting = $"{args.Threads} thread(s), 8 PNGs, 8 classes, 2 steps of batch 4";
        if (cli.Length == 0 || script.Length == 0 || !File.Exists(python))
        {
            yield return new Measurement("job", setting, "skipped", double.NaN, "",
                Note: "needs the built src/Maple.Cli, tools/bench/pytorch_job.py and a Python with PyTorch (--python)");
            yield break;
        }

        var work = Directory.CreateTempSubdirectory("maple-bench-job-").FullName;
        try
        {
            var data = Path.Combine(work, "data");
            var names = ClassPrompts.Names(folder, 8);
            for (var i = 0; i < names.Count; i++)
            {
                Directory.CreateDirectory(Path.Combine(data, names[i]));
                PreprocessCase.WritePhoto(Path.Combine(data, names[i], $"photo{i}.png"), 500, 375);
            }
            var classes = Path.Combine(work, "classes.txt");
            File.WriteAllLines(classes, names);

            string[] Maple(string precision) =>
            [
                cli, "train", "-m", folder, "-d", data, "--classes", classes, "--method", "maple", "--batch-size", "4", "--epochs", "1",
                "--no-augment", "--no-shuffle", "--precision", precision, "--threads", threads, "-o", Path.Combine(work, $"run-{precision}"),
            ];
            var jobs = new (string Name, string[] Command)[]
            {
                ("PyTorch 1.13 fp32", [python, script, folder, data, classes, "--threads", threads, "--batch", "4"]),
                ("maple train fp32", Maple("fp32")),
                ("maple train bf16", Maple("bf16")),
            };
            var samples = jobs.ToDictionary(j => j.Name, _ => new List<(double Wall, double Cpu, string Output)>());
            for (var r = 0; r < repeats; r++)
            {
                foreach (var (name, command) in jobs)
                {
                    foreach (var run in Directory.EnumerateDirectories(work, "run-*"))
                        Directory.Delete(run, recursive: true);
                    samples[name].Add(ExternalProcess.Run(command));
                }
            }

            var medians = samples.ToDictionary(s => s.Key, s => s.Value.OrderBy(x => x.Wall).ElementAt(s.Value.Count / 2));
            var torch = medians["PyTorch 1.13 fp32"];
            foreach (var (name, _) in jobs)
            {
                var m = medians[name];
                var details = new Dictionary<string, double> { ["seconds"] = m.Wall, ["cpu_seconds"] = m.Cpu, ["repeats"] = repeats };
                if (name.StartsWith("PyTorch", StringComparison.Ordinal) && m.Output.Split('\n').LastOrDefault(l => l.StartsWith('{')) is { } json)
                {
                    using var report = JsonDocument.Parse(json);
                    foreach (var key in new[] { "import", "load", "data" })
                        details[key] = report.RootElement.GetProperty(key).GetDouble();
                    var steps = report.RootElement.GetProperty("steps").EnumerateArray().Select(s => s.GetDouble()).ToList();
                    for (var i = 0; i < steps.Count; i++)
                        details[$"step_{i + 1}"] = steps[i];
                }
                yield return new Measurement("job", setting, $"{name}, whole process", m.Wall, "s", Details: details);
            }
            foreach (var (precision, target) in new[] { ("fp32", 3.0), ("bf16", 8.0) })
            {
                yield return new Measurement("job", setting, $"speed-up of maple train {precision} over PyTorch 1.13 fp32", torch.Wall / medians[$"maple train {precision}"].Wall, "×",
                    target, TargetKind.AtLeast);
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
