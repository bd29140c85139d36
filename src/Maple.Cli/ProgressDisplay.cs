using System.Diagnostics;
using System.Globalization;
using System.Text;
using Spectre.Console;

namespace Maple.Cli;

/// <summary>
/// Shows the progress of long work in the form its output can take. On a terminal, one live line redrawn in place:
/// title, bar, percentage, the work's figures, elapsed time and ETA at 100 columns or more; percentage, a short bar,
/// as many figures as fit and the ETA below that. The line is cut to the terminal's width at every redraw, so it
/// never wraps, even when the window is resized. When standard output or error is not a terminal (a pipe, a log
/// file), or the terminal has no ANSI support, plain complete lines instead: the first report, then one per tenth of
/// the work or per minute, and the last, with no carriage returns or escape codes.
/// </summary>
/// <remarks>
/// Hand-written rather than Spectre.Console's <c>Progress</c>: Spectre lays the columns out as a table that wraps
/// cells when the row is wider than the terminal (the bar and percentage vanished at 80 columns and the times broke
/// into fragments), its fallback for redirected output prints partial rows, and its renderer runs on its own thread
/// with no way to stop it from a signal handler, so an interrupt message written then would be drawn over. Spectre
/// still decides what the console supports (<see cref="AnsiConsole.Profile"/>) and its width.
/// </remarks>
sealed class ProgressDisplay
{
    /// <summary>Columns from which the full line is shown.</summary>
    public const int FullWidth = 100;

    /// <summary>The share of the work between two plain lines.</summary>
    const double PlainStep = 0.1;

    static readonly TimeSpan PlainInterval = TimeSpan.FromMinutes(1);
    static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    readonly string _title;
    readonly double _total;
    readonly double _start;
    readonly TextWriter _out;
    readonly bool _live;
    readonly Func<int> _width;
    readonly bool _countUnits;
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly Lock _gate = new();
    readonly Timer? _ticker;
    double _value;
    string _figures = "";
    bool _reported;
    bool _stopped;
    TimeSpan? _lastDrawn;
    double _lastPlainFraction;
    TimeSpan _lastPlainTime;

    /// <summary>Creates a display of <paramref name="total"/> units (0 or less: unknown) starting at <paramref name="start"/>.</summary>
    /// <param name="title">What is being done ("training").</param>
    /// <param name="total">Units in all; 0 or less when unknown (no bar, percentage or ETA).</param>
    /// <param name="output">Where the display goes.</param>
    /// <param name="live">Whether <paramref name="output"/> is a terminal that understands ANSI codes.</param>
    /// <param name="width">The terminal's width, read at each redraw.</param>
    /// <param name="start">Units already done before this display began (a resumed run); they do not count towards the speed.</param>
    /// <param name="countUnits">Whether plain lines show "(done/total)" units (not for bytes, which the figures give in MB).</param>
    public ProgressDisplay(string title, double total, TextWriter output, bool live, Func<int> width, double start = 0, bool countUnits = true)
    {
        (_title, _total, _start, _out, _live, _width, _countUnits) = (title, total, start, output, live, width, countUnits);
        _value = start;
        // The elapsed time and ETA move on while a long step runs.
        if (live)
            _ticker = new Timer(_ => Redraw(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>A display on standard output, live when both output streams are terminals with ANSI support.</summary>
    public static ProgressDisplay ForStandardOutput(string title, double total, double start = 0) =>
        new(title, total, AnsiConsole.Profile.Out.Writer, IsLive, () => AnsiConsole.Profile.Width, start);

    /// <summary>A display on standard error (downloads), live under the same conditions.</summary>
    public static ProgressDisplay ForStandardError(string title, double total, bool countUnits = true) =>
        new(title, total, Console.Error, IsLive, () => AnsiConsole.Profile.Width, countUnits: countUnits);

    // Both streams: with one of them in a log, a live line would leave its redraws there or split it from the messages.
    static bool IsLive => !Console.IsOutputRedirected && !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Ansi;

    /// <summary>Runs <paramref name="work"/> with a display of <paramref name="total"/> units on standard output.</summary>
    /// <param name="title">What is being done.</param>
    /// <param name="total">Units in all.</param>
    /// <param name="work">The work; it reports units done and its figures (fields separated by ", ", most important first).</param>
    public static T Run<T>(string title, double total, Func<Action<double, string>, T> work)
    {
        var display = ForStandardOutput(title, total);
        return display.Watch(() => work(display.Update));
    }

    /// <summary>Runs <paramref name="work"/>, then shows the final state; when it fails, leaves the last state shown.</summary>
    public T Watch<T>(Func<T> work)
    {
        try
        {
            var result = work();
            Finish();
            return result;
        }
        finally
        {
            Stop();
        }
    }

    /// <summary>Records progress: <paramref name="value"/> units done, and the work's figures.</summary>
    public void Update(double value, string figures)
    {
        lock (_gate)
        {
            (_value, _figures, _reported) = (value, figures, true);
            if (_stopped)
                return;
            if (_live)
            {
                Redraw();
                return;
            }
            var fraction = Fraction;
            var now = _clock.Elapsed;
            if (_lastPlainTime == TimeSpan.Zero || fraction - _lastPlainFraction >= PlainStep - 1e-9 || now - _lastPlainTime >= PlainInterval)
            {
                (_lastPlainFraction, _lastPlainTime) = (fraction, now == TimeSpan.Zero ? TimeSpan.FromTicks(1) : now);
                _out.WriteLine(PlainLine());
                _out.Flush();
            }
        }
    }

    /// <summary>
    /// Ends the display and writes <paramref name="message"/> to <paramref name="to"/> on a line of its own; callable from any
    /// thread (a signal handler). Nothing is drawn afterwards.
    /// </summary>
    public void Interrupt(string message, TextWriter to)
    {
        lock (_gate)
        {
            StopLocked();
            to.WriteLine(message);
            to.Flush();
        }
    }

    /// <summary>Shows the final state (the last line stays on screen).</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_stopped)
                return;
            if (_reported && !_live && _lastPlainFraction < 1)
            {
                _out.WriteLine(PlainLine());
                _out.Flush();
            }
            StopLocked();
        }
    }

    void Stop()
    {
        lock (_gate)
            StopLocked();
    }

    void StopLocked()
    {
        if (_stopped)
            return;
        _stopped = true;
        _ticker?.Dispose();
        if (_live && _reported)
        {
            Draw();
            _out.Write('\n');
            _out.Flush();
        }
    }

    void Redraw()
    {
        lock (_gate)
        {
            if (_stopped || !_reported)
                return;
            var now = _clock.Elapsed;
            if (now - _lastDrawn < RedrawInterval && Fraction < 1)
                return;
            _lastDrawn = now;
            Draw();
            _out.Flush();
        }
    }

    // Carriage return, the line, then erase to the end of the line (what a shorter line leaves of a longer one).
    void Draw() => _out.Write($"\r{LiveLine(_width())}\u001b[K");

    double Fraction => _total > 0 ? Math.Clamp(_value / _total, 0, 1) : 0;

    TimeSpan? Remaining()
    {
        var done = _value - _start;
        if (_total <= 0 || done <= 0)
            return null;
        return TimeSpan.FromSeconds(_clock.Elapsed.TotalSeconds * Math.Max(0, _total - _value) / done);
    }

    /// <summary>The live line for a terminal of <paramref name="width"/> columns: at most width - 1 characters, so it never wraps.</summary>
    internal string LiveLine(int width)
    {
        var room = Math.Max(1, width - 1);
        var known = _total > 0;
        var percent = known ? string.Create(CultureInfo.InvariantCulture, $"{100 * Fraction,3:F0}%") : "";
        var eta = known ? $"ETA {Duration(Remaining())}" : "";
        string line;
        if (width >= FullWidth)
        {
            var head = $"{_title} ";
            var tail = $"  {Duration(_clock.Elapsed)} elapsed" + (known ? $", {eta}" : "");
            var fixedLength = head.Length + (known ? percent.Length + 2 : 0) + tail.Length;
            var figures = Fit(_figures, room - fixedLength - (known ? MinimumBar + 1 : 0));
            var bar = known ? Math.Clamp(room - fixedLength - figures.Length - 1, MinimumBar, MaximumBar) : 0;
            line = known
                ? $"{head}{Bar(bar)} {percent}  {figures}{tail}"
                : $"{head}{figures}{tail}";
        }
        else
        {
            var head = known ? $"{percent} " : $"{_title} ";
            var tail = known ? $" {eta}" : "";
            var bar = known ? CompactBar : 0;
            var figures = Fit(_figures, room - head.Length - bar - 1 - tail.Length);
            line = known ? $"{head}{Bar(bar)} {figures}{tail}" : $"{head}{figures}";
        }
        return Cut(line, room);
    }

    const int MinimumBar = 10;
    const int MaximumBar = 40;
    const int CompactBar = 10;

    /// <summary>A plain line for a log: everything, no escape codes.</summary>
    internal string PlainLine()
    {
        var text = new StringBuilder(_title).Append(':');
        if (_total > 0)
            text.Append(CultureInfo.InvariantCulture, $" {100 * Fraction:F0}%").Append(_countUnits ? $" ({Number(_value)}/{Number(_total)})" : "");
        if (_figures.Length > 0)
            text.Append(", ").Append(_figures);
        text.Append(", ").Append(Duration(_clock.Elapsed)).Append(" elapsed");
        if (_total > 0 && Fraction < 1)
            text.Append(", ETA ").Append(Duration(Remaining()));
        return text.ToString();
    }

    static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>As many whole fields (separated by ", ") of <paramref name="figures"/> as fit in <paramref name="room"/> characters.</summary>
    internal static string Fit(string figures, int room)
    {
        if (figures.Length <= room)
            return figures;
        var fitted = "";
        foreach (var field in figures.Split(", "))
        {
            var next = fitted.Length == 0 ? field : $"{fitted}, {field}";
            if (next.Length > room)
                break;
            fitted = next;
        }
        return fitted;
    }

    /// <summary>The bar: done in green, the rest in grey (colour codes take no columns).</summary>
    string Bar(int width)
    {
        var done = (int)Math.Round(Fraction * width);
        return $"\u001b[32m{new string('━', done)}\u001b[90m{new string('─', width - done)}\u001b[0m";
    }

    /// <summary>Cuts <paramref name="line"/> to <paramref name="room"/> visible characters, escape codes not counted.</summary>
    static string Cut(string line, int room)
    {
        var text = new StringBuilder();
        var visible = 0;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '\u001b')
            {
                var end = line.IndexOf('m', i);
                text.Append(line, i, end - i + 1);
                i = end;
                continue;
            }
            if (visible == room)
                continue;
            text.Append(line[i]);
            visible++;
        }
        return text.ToString();
    }

    /// <summary>"04:05", or "1:02:03" from an hour; "--:--" when unknown.</summary>
    internal static string Duration(TimeSpan? span) => span switch
    {
        null => "--:--",
        { TotalHours: >= 1 } t => string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}"),
        { } t => string.Create(CultureInfo.InvariantCulture, $"{t.Minutes:D2}:{t.Seconds:D2}"),
    };
}
