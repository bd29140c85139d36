using Maple.Imaging;
using SkiaSharp;

namespace Maple.Bench.Cases;

/// <summary>
/// Image preprocessing on one thread: decode a 500×375 JPEG (a typical dataset photo) and apply the
/// evaluation transform (resize the shorter side to 224, centre crop, normalise) or the training one
/// (random resized crop, flip, normalise).
/// </summary>
public sealed class PreprocessCase : IBenchCase
{
    /// <inheritdoc />
    public IEnumerable<Measurement> Run(CaseArguments args)
    {
        var iterations = args.Int("iterations", 300);
        var folder = Directory.CreateTempSubdirectory("maple-bench-jpeg-").FullName;
        try
        {
            var path = Path.Combine(folder, "photo-500x375.jpg");
            WritePhoto(path, 500, 375);
            var eval = new EvalTransform();
            var train = new TrainTransform();
            var rng = new Xoshiro256StarStar(7);
            var stages = new (string Figure, Action Once)[]
            {
                ("decode only", () => ImageDecoder.Decode(path)),
                ("decode + eval transform", () => eval.LoadChw(path)),
                ("decode + train transform", () => train.ToChw(ImageDecoder.Decode(path), rng)),
            };
            var results = new List<Measurement>();
            foreach (var (figure, once) in stages)
            {
                for (var i = 0; i < Math.Max(3, iterations / 20); i++)
                    once();
                var timing = new Timing();
                for (var i = 0; i < iterations; i++)
                    once();
                results.Add(new Measurement("preprocess", "500×375 JPEG → 224×224, 1 thread", figure, iterations / timing.Seconds, "images/s",
                    Details: new() { ["seconds"] = timing.Seconds, ["cpu_seconds"] = timing.CpuSeconds, ["images"] = iterations }));
            }
            return results;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Writes a photo-like image (smooth gradients with fine texture, so a decoder has realistic work, not a flat
    /// image) as JPEG, or PNG when <paramref name="path"/> ends in .png.
    /// </summary>
    internal static void WritePhoto(string path, int width, int height)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var random = new Random(11);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var noise = random.Next(-24, 25);
                bitmap.SetPixel(x, y, new SKColor(
                    (byte)Math.Clamp(x * 255 / width + noise, 0, 255),
                    (byte)Math.Clamp(y * 255 / height + noise, 0, 255),
                    (byte)Math.Clamp(128 + (int)(100 * Math.Sin((x + y) / 17.0)) + noise, 0, 255)));
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = path.EndsWith(".png", StringComparison.OrdinalIgnoreCase)
            ? image.Encode(SKEncodedImageFormat.Png, 100)
            : image.Encode(SKEncodedImageFormat.Jpeg, 90);
        File.WriteAllBytes(path, data.ToArray());
    }
}
