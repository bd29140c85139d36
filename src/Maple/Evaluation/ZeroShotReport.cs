using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Maple.Evaluation;

/// <summary>
/// The results of classifying unlabelled images (zero-shot CLIP or learned prompts) as a file: JSON with every image's logits, probabilities and top
/// classes, or CSV with one row per image (path, top-1, its probability, then one logit column per class).
/// Files are written atomically.
/// </summary>
public sealed class ZeroShotReport
{
    /// <summary>Collects the results.</summary>
    /// <param name="model">The model id or path that produced them.</param>
    /// <param name="classNames">The classes, in the order of the logits.</param>
    /// <param name="templates">The prompt templates.</param>
    /// <param name="predictions">One per image.</param>
    public ZeroShotReport(string model, IReadOnlyList<string> classNames, IReadOnlyList<string> templates, IReadOnlyList<ZeroShotPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(templates);
        ArgumentNullException.ThrowIfNull(predictions);
        if (predictions.Any(p => p.Logits.Length != classNames.Count || p.Probabilities.Length != classNames.Count))
            throw new ArgumentException($"every prediction needs {classNames.Count} logits and probabilities, one per class", nameof(predictions));
        Model = model;
        ClassNames = classNames;
        Templates = templates;
        Predictions = predictions;
    }

    /// <summary>The model id or path.</summary>
    public string Model { get; }

    /// <summary>The classes, in the order of the logits.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The prompt templates.</summary>
    public IReadOnlyList<string> Templates { get; }

    /// <summary>One prediction per image.</summary>
    public IReadOnlyList<ZeroShotPrediction> Predictions { get; }

    /// <summary>The precision the model computed in, recorded in the JSON when set.</summary>
    public PrecisionChoice? Precision { get; init; }

    /// <summary>The learned prompts file the classes were worded with, recorded in the JSON when set.</summary>
    public string? Prompts { get; init; }

    /// <summary>Whether <see cref="Write"/> knows the format of <paramref name="path"/> (<c>.json</c> or <c>.csv</c>).</summary>
    public static bool IsSupportedOutput(string path) => IsJson(path) || IsCsv(path);

    /// <summary>Writes JSON or CSV, by the extension of <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">The extension is neither <c>.json</c> nor <c>.csv</c>.</exception>
    public void Write(string path)
    {
        if (IsJson(path))
            WriteJson(path);
        else if (IsCsv(path))
            WriteCsv(path);
        else
            throw new UserInputException($"{path}: the results file must end in .json or .csv");
    }

    /// <summary>
    /// Writes <c>{model, precision, prompts, classes, templates, images: [{path, logits, probabilities, top: [{class, probability}]}]}</c>.
    /// </summary>
    public void WriteJson(string path) =>
        AtomicFile.Write(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream);
            json.WriteStartObject();
            json.WriteString("model", Model);
            if (Precision is not null)
                json.WriteString("precision", Precision.ToString());
            if (Prompts is not null)
                json.WriteString("prompts", Prompts);
            WriteStrings(json, "classes", ClassNames);
            WriteStrings(json, "templates", Templates);
            json.WriteStartArray("images");
            foreach (var p in Predictions)
            {
                json.WriteStartObject();
                json.WriteString("path", p.Path);
                WriteNumbers(json, "logits", p.Logits);
                WriteNumbers(json, "probabilities", p.Probabilities);
                json.WriteStartArray("top");
                foreach (var score in p.Top)
                {
                    json.WriteStartObject();
                    json.WriteString("class", score.ClassName);
                    json.WriteNumber("probability", score.Probability);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        });

    /// <summary>Writes a header row (<c>path,top1,top1_probability</c>, then the class names) and one row per image.</summary>
    public void WriteCsv(string path) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
            writer.WriteLine(string.Join(',', new[] { "path", "top1", "top1_probability" }.Concat(ClassNames).Select(Quote)));
            foreach (var p in Predictions)
            {
                var best = p.Top.Count > 0 ? p.Top[0] : null;
                var fields = new[] { Quote(p.Path ?? ""), Quote(best?.ClassName ?? ""), best is null ? "" : Number(best.Probability) }
                    .Concat(p.Logits.Select(Number));
                writer.WriteLine(string.Join(',', fields));
            }
        });

    static bool IsJson(string path) => Path.GetExtension(path).Equals(".json", StringComparison.OrdinalIgnoreCase);

    static bool IsCsv(string path) => Path.GetExtension(path).Equals(".csv", StringComparison.OrdinalIgnoreCase);

    static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
            json.WriteStringValue(value);
        json.WriteEndArray();
    }

    static void WriteNumbers(Utf8JsonWriter json, string name, IEnumerable<float> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
            json.WriteNumberValue(value);
        json.WriteEndArray();
    }

    // Shortest text that reads back as the same float.
    static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    // RFC 4180: fields with a separator, a quote, a line break or edge spaces are quoted, quotes doubled.
    static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") >= 0 || field != field.Trim()
            ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : field;
}
