using System.Globalization;
using System.Text.Json;
using Maple.Export;
using Maple.Imaging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Maple.Cli.Serving;

/// <summary>
/// A classifier exported by <see cref="OnnxClassifierExporter"/>, run by ONNX Runtime: the classes, image size and
/// normalisation come from the file's metadata, which is checked before anything runs.
/// </summary>
sealed class OnnxImageClassifier : IImageClassifier
{
    // Far beyond any real classifier; a file declaring more is damaged or hostile.
    const int MaxClasses = 1_000_000;
    const int MaxImageSize = 4096;

    readonly InferenceSession _session;

    OnnxImageClassifier(InferenceSession session, IReadOnlyList<string> classNames, EvalTransform transform, string description)
    {
        _session = session;
        ClassNames = classNames;
        Transform = transform;
        Description = description;
    }

    public IReadOnlyList<string> ClassNames { get; }

    public EvalTransform Transform { get; }

    public string Description { get; }

    /// <summary>Opens <paramref name="path"/>; <paramref name="threads"/> &gt; 0 sets ONNX Runtime's intra-op threads.</summary>
    /// <exception cref="InvalidDataException">The file is not an ONNX model, or not a classifier Maple exported.</exception>
    public static OnnxImageClassifier Open(string path, int threads = 0)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such ONNX file", path);
        using var options = new SessionOptions();
        if (threads > 0)
            options.IntraOpNumThreads = threads;
        InferenceSession session;
        try
        {
            session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidDataException($"{path}: not a valid ONNX model ({FirstLine(ex.Message)})", ex);
        }
        try
        {
            var meta = session.ModelMetadata.CustomMetadataMap;
            string Required(string key) => meta.TryGetValue(key, out var value)
                ? value
                : throw new InvalidDataException($"{path}: no '{key}' in the model's metadata; export the classifier with 'maple export'");
            var names = Parse<string[]>(path, OnnxClassifierExporter.MetadataKeys.ClassNames, Required(OnnxClassifierExporter.MetadataKeys.ClassNames));
            if (names.Length is 0 or > MaxClasses || names.Any(string.IsNullOrEmpty))
                throw new InvalidDataException($"{path}: the metadata's class names must be 1 to {MaxClasses} non-empty strings");
            if (!int.TryParse(Required(OnnxClassifierExporter.MetadataKeys.ImageSize), NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size is < 1 or > MaxImageSize)
                throw new InvalidDataException($"{path}: the metadata's image size must be a whole number from 1 to {MaxImageSize}");
            var mean = Parse<float[]>(path, OnnxClassifierExporter.MetadataKeys.Mean, Required(OnnxClassifierExporter.MetadataKeys.Mean));
            var std = Parse<float[]>(path, OnnxClassifierExporter.MetadataKeys.Std, Required(OnnxClassifierExporter.MetadataKeys.Std));
            if (mean.Length != 3 || std.Length != 3 || std.Any(s => !(s > 0) || !float.IsFinite(s)) || mean.Any(m => !float.IsFinite(m)))
                throw new InvalidDataException($"{path}: the metadata's mean and std must be three finite numbers each, std positive");
            CheckSignature(session, path, size, names.Length);
            var method = meta.GetValueOrDefault(OnnxClassifierExporter.MetadataKeys.Method, "classifier");
            return new OnnxImageClassifier(session, names, new EvalTransform(size, new ImageNormalization(mean, std)), $"{method} from {Path.GetFileName(path)}");
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public float[] Logits(float[] pixels, int count)
    {
        var size = Transform.ImageSize;
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [count, 3, size, size]);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, [OnnxClassifierExporter.InputName], [input], [OnnxClassifierExporter.OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose() => _session.Dispose();

    static void CheckSignature(InferenceSession session, string path, int size, int classes)
    {
        var expected = $"one input {OnnxClassifierExporter.InputName} float [N, 3, {size}, {size}] and one output {OnnxClassifierExporter.OutputName} float [N, {classes}]";
        if (session.InputMetadata.Count != 1 || !session.InputMetadata.TryGetValue(OnnxClassifierExporter.InputName, out var input)
            || session.OutputMetadata.Count != 1 || !session.OutputMetadata.TryGetValue(OnnxClassifierExporter.OutputName, out var output)
            || input.ElementDataType != TensorElementType.Float || output.ElementDataType != TensorElementType.Float
            || !input.Dimensions.Skip(1).SequenceEqual([3, size, size]) || input.Dimensions.Length != 4
            || output.Dimensions.Length != 2 || output.Dimensions[1] != classes)
            throw new InvalidDataException($"{path}: the graph does not match its metadata; expected {expected}");
    }

    static T Parse<T>(string path, string key, string json)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json) ?? throw new JsonException("null");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: the metadata's '{key}' is not valid JSON of the expected kind ({ex.Message})", ex);
        }
    }

    static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
