// Classifies images with a classifier exported by `maple export`, using ONNX Runtime and SkiaSharp only.
// Usage: dotnet run -- classifier.onnx photo.jpg [more.jpg ...]
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: OnnxInference classifier.onnx image [image ...]");
    return 1;
}

using var session = new InferenceSession(args[0]);
// Everything needed to prepare the input and read the output is in the file's metadata.
var meta = session.ModelMetadata.CustomMetadataMap;
var classes = JsonSerializer.Deserialize<string[]>(meta["class_names"])!;
var size = int.Parse(meta["image_size"], CultureInfo.InvariantCulture);
var mean = JsonSerializer.Deserialize<float[]>(meta["mean"])!;
var std = JsonSerializer.Deserialize<float[]>(meta["std"])!;

foreach (var path in args[1..])
{
    var pixels = Preprocess(path, size, mean, std);
    using var input = OrtValue.CreateTensorValueFromMemory(pixels, [1, 3, size, size]);
    using var options = new RunOptions();
    using var outputs = session.Run(options, ["pixel_values"], [input], ["logits"]);
    var logits = outputs[0].GetTensorDataAsSpan<float>().ToArray();

    var max = logits.Max();
    var exps = logits.Select(l => Math.Exp(l - max)).ToArray();
    var sum = exps.Sum();
    Console.WriteLine(path);
    foreach (var c in Enumerable.Range(0, classes.Length).OrderByDescending(c => exps[c]).Take(5))
        Console.WriteLine($"  {classes[c],-24} {exps[c] / sum:P2}");
}
return 0;

// CLIP's preprocessing: shorter side to `size` (bicubic), center crop, bytes / 255, (x - mean) / std, CHW.
// Skia's Catmull-Rom is Pillow's bicubic kernel, but not its exact rounding: logits differ slightly from Maple's.
static float[] Preprocess(string path, int size, float[] mean, float[] std)
{
    using var decoded = SKBitmap.Decode(path) ?? throw new InvalidDataException($"{path}: not an image");
    var scale = (double)size / Math.Min(decoded.Width, decoded.Height);
    var (width, height) = decoded.Width <= decoded.Height
        ? (size, (int)(decoded.Height * scale))
        : ((int)(decoded.Width * scale), size);
    using var resized = decoded.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul),
        new SKSamplingOptions(SKCubicResampler.CatmullRom));
    var left = (int)Math.Round((width - size) / 2.0, MidpointRounding.ToEven);
    var top = (int)Math.Round((height - size) / 2.0, MidpointRounding.ToEven);
    var chw = new float[3 * size * size];
    for (var y = 0; y < size; y++)
    {
        for (var x = 0; x < size; x++)
        {
            var pixel = resized.GetPixel(left + x, top + y);
            byte[] rgb = [pixel.Red, pixel.Green, pixel.Blue];
            for (var c = 0; c < 3; c++)
                chw[(c * size + y) * size + x] = (rgb[c] / 255f - mean[c]) / std[c];
        }
    }
    return chw;
}
