using System.Runtime.InteropServices;
using Maple.Imaging;
using SkiaSharp;

namespace Maple.Demo;

/// <summary>
/// Draws <see cref="DemoScene"/>s with SkiaSharp's CPU rasteriser and writes them as PNG files, which the
/// demo then reads back through the same decoder and transforms as any user image.
/// </summary>
public static class ShapeRenderer
{
    /// <summary>Renders <paramref name="scene"/> to RGB pixels; the same scene always gives the same bytes.</summary>
    public static RgbImage Render(DemoScene scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        var size = scene.Size;
        using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            DrawBackground(canvas, scene);
            using var shape = ShapePath(scene);
            using (var paint = new SKPaint { IsAntialias = true, Color = Colour(scene.FillColour), Style = SKPaintStyle.Fill })
                canvas.DrawPath(shape, paint);
            if (scene.Fill != DemoFill.Flat)
                DrawPattern(canvas, scene, shape);
            if (scene.OutlineWidth > 0)
            {
                using var stroke = new SKPaint { IsAntialias = true, Color = Colour(scene.OutlineColour), Style = SKPaintStyle.Stroke, StrokeWidth = (float)scene.OutlineWidth };
                canvas.DrawPath(shape, stroke);
            }
        }

        var rgba = new byte[size * size * 4];
        Marshal.Copy(bitmap.GetPixels(), rgba, 0, rgba.Length);
        var rgb = new byte[size * size * 3];
        var noise = new Xoshiro256StarStar(scene.NoiseSeed);
        for (var i = 0; i < size * size; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                var value = rgba[i * 4 + c] + (scene.NoiseSigma > 0 ? scene.NoiseSigma * Gaussian(noise) : 0);
                rgb[i * 3 + c] = (byte)Math.Clamp(Math.Round(value), 0, 255);
            }
        }
        return new RgbImage(size, size, rgb);
    }

    /// <summary>Encodes RGB pixels as a PNG file's bytes.</summary>
    public static byte[] EncodePng(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var rgba = new byte[image.Width * image.Height * 4];
        for (var i = 0; i < image.Width * image.Height; i++)
        {
            rgba[i * 4] = image.Pixels[i * 3];
            rgba[i * 4 + 1] = image.Pixels[i * 3 + 1];
            rgba[i * 4 + 2] = image.Pixels[i * 3 + 2];
            rgba[i * 4 + 3] = 255;
        }
        using var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Renders <paramref name="scene"/> into a PNG file at <paramref name="path"/>.</summary>
    public static void WritePng(DemoScene scene, string path)
    {
        var png = EncodePng(Render(scene));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, png);
    }

    /// <summary>The outline of the scene's shape, in pixels.</summary>
    static SKPath ShapePath(DemoScene scene)
    {
        var path = UnitShape(scene.Class.Shape);
        var transform = SKMatrix.CreateScale((float)scene.Radius, (float)scene.Radius)
            .PostConcat(SKMatrix.CreateRotationDegrees((float)scene.Rotation))
            .PostConcat(SKMatrix.CreateTranslation((float)scene.CenterX, (float)scene.CenterY));
        path.Transform(transform);
        return path;
    }

    // Shapes of about the same area around the origin, radius about 1, y pointing down.
    static SKPath UnitShape(DemoShape shape)
    {
        var path = new SKPath();
        switch (shape)
        {
            case DemoShape.Circle:
                path.AddCircle(0, 0, 0.9f);
                break;
            case DemoShape.Square:
                path.AddRect(new SKRect(-0.8f, -0.8f, 0.8f, 0.8f));
                break;
            case DemoShape.Triangle:
                path.AddPoly(Polygon(3, 1.1, 0, -90), close: true);
                break;
            case DemoShape.Star:
                path.AddPoly(Star(5, 1.1, 0.45), close: true);
                break;
            case DemoShape.Cross:
                const float arm = 0.34f, end = 1.0f;
                path.AddPoly(
                [
                    new(-arm, -end), new(arm, -end), new(arm, -arm), new(end, -arm), new(end, arm), new(arm, arm),
                    new(arm, end), new(-arm, end), new(-arm, arm), new(-end, arm), new(-end, -arm), new(-arm, -arm),
                ], close: true);
                break;
            case DemoShape.Heart:
                path.MoveTo(0, 0.95f);
                path.CubicTo(-0.35f, 0.6f, -1.05f, 0.2f, -1.0f, -0.3f);
                path.CubicTo(-0.95f, -0.88f, -0.25f, -1.0f, 0, -0.5f);
                path.CubicTo(0.25f, -1.0f, 0.95f, -0.88f, 1.0f, -0.3f);
                path.CubicTo(1.05f, 0.2f, 0.35f, 0.6f, 0, 0.95f);
                path.Close();
                break;
            case DemoShape.Hexagon:
                path.AddPoly(Polygon(6, 0.95, 0, 0), close: true);
                break;
            case DemoShape.Arrow:
                path.AddPoly(
                [
                    new(-1.0f, -0.3f), new(0.1f, -0.3f), new(0.1f, -0.75f), new(1.0f, 0), new(0.1f, 0.75f), new(0.1f, 0.3f), new(-1.0f, 0.3f),
                ], close: true);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(shape), shape, "unknown shape");
        }
        return path;
    }

    static SKPoint[] Polygon(int corners, double radius, double offset, double startDegrees) =>
        Enumerable.Range(0, corners)
            .Select(i => Polar(radius, startDegrees + offset + 360.0 * i / corners))
            .ToArray();

    static SKPoint[] Star(int points, double outer, double inner) =>
        Enumerable.Range(0, 2 * points)
            .Select(i => Polar(i % 2 == 0 ? outer : inner, -90 + 180.0 * i / points))
            .ToArray();

    static SKPoint Polar(double radius, double degrees)
    {
        var a = degrees * Math.PI / 180;
        return new SKPoint((float)(radius * Math.Cos(a)), (float)(radius * Math.Sin(a)));
    }

    static void DrawBackground(SKCanvas canvas, DemoScene scene)
    {
        var size = scene.Size;
        canvas.Clear(Colour(scene.BackgroundA));
        switch (scene.Background)
        {
            case DemoBackground.Plain:
                break;
            case DemoBackground.Gradient:
            {
                var rng = new Xoshiro256StarStar(scene.BackgroundSeed);
                var from = Polar(size * 0.7, rng.NextDouble(0, 360));
                var centre = new SKPoint(size / 2f, size / 2f);
                using var shader = SKShader.CreateLinearGradient(centre - from, centre + from,
                    [Colour(scene.BackgroundA), Colour(scene.BackgroundB)], SKShaderTileMode.Clamp);
                using var paint = new SKPaint { Shader = shader };
                canvas.DrawRect(0, 0, size, size, paint);
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(scene), scene.Background, "unknown background");
        }
    }

    static void DrawPattern(SKCanvas canvas, DemoScene scene, SKPath shape)
    {
        var (cx, cy) = ((float)scene.CenterX, (float)scene.CenterY);
        var reach = (float)(scene.Radius * 1.6);
        var period = (float)scene.PatternPeriod;
        using var paint = new SKPaint { IsAntialias = true, Color = Colour(scene.PatternColour), Style = SKPaintStyle.Fill };
        canvas.Save();
        canvas.ClipPath(shape, SKClipOperation.Intersect, antialias: true);
        canvas.RotateDegrees((float)scene.PatternAngle, cx, cy);
        var steps = (int)Math.Ceiling(reach / period);
        for (var i = -steps; i <= steps; i++)
        {
            switch (scene.Fill)
            {
                case DemoFill.Stripes:
                    canvas.DrawRect(cx + i * period, cy - reach, period / 2, 2 * reach, paint);
                    break;
                case DemoFill.Dots:
                    for (var j = -steps; j <= steps; j++)
                        canvas.DrawCircle(cx + i * period, cy + j * period, period * 0.3f, paint);
                    break;
                case DemoFill.Checks:
                    for (var j = -steps; j <= steps; j++)
                    {
                        if ((i + j) % 2 == 0)
                            canvas.DrawRect(cx + i * period / 2, cy + j * period / 2, period / 2, period / 2, paint);
                    }
                    break;
            }
        }
        canvas.Restore();
    }

    static DemoRgb Mix(DemoRgb a, DemoRgb b, double t) => new(
        (byte)Math.Round(a.R + (b.R - a.R) * t), (byte)Math.Round(a.G + (b.G - a.G) * t), (byte)Math.Round(a.B + (b.B - a.B) * t));

    static SKColor Colour(DemoRgb c) => new(c.R, c.G, c.B);

    // Box–Muller on the scene's own generator, so noise does not depend on the order images are drawn in.
    static double Gaussian(Xoshiro256StarStar rng)
    {
        var u = 1.0 - rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * rng.NextDouble());
    }
}
