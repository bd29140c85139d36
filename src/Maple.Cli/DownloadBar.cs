using System.Globalization;
using Maple.Clip.Hub;

namespace Maple.Cli;

/// <summary>Shows a model download on standard error: one <see cref="ProgressDisplay"/> per file.</summary>
sealed class DownloadBar : IProgress<DownloadProgress>
{
    string? _file;
    ProgressDisplay? _display;

    public void Report(DownloadProgress p)
    {
        if (p.FileName != _file)
        {
            _display?.Finish();
            _file = p.FileName;
            _display = ProgressDisplay.ForStandardError($"downloading {p.FileName}", p.TotalBytes ?? 0, countUnits: false);
        }
        var total = p.TotalBytes is { } t ? string.Create(CultureInfo.InvariantCulture, $"/{t / 1e6:F1}") : "";
        _display!.Update(p.BytesDone, string.Create(CultureInfo.InvariantCulture, $"{p.BytesDone / 1e6:F1}{total} MB, {p.BytesPerSecond / 1e6:F1} MB/s"));
    }

    public void Finish() => _display?.Finish();
}
