using System.Text.RegularExpressions;
using Maple.Cli;

namespace Maple.Tests.Cli;

/// <summary>The progress display's lines, drawn into a string at chosen widths.</summary>
public sealed partial class ProgressDisplayTests
{
    const string Figures = "epoch 2/5, step 7/20, loss 2.303, acc 25%, lr 0.0035, 3.2 img/s";

    static string Visible(string line) => Escape().Replace(line, "");

    [Theory]
    [InlineData(200)]
    [InlineData(100)]
    [InlineData(99)]
    [InlineData(80)]
    [InlineData(60)]
    [InlineData(20)]
    public void TheLiveLineIsNeverWiderThanTheTerminal(int width)
    {
        var display = new ProgressDisplay("training", 100, TextWriter.Null, live: false, () => width);
        display.Update(35, Figures);
        var line = Visible(display.LiveLine(width));
        Assert.True(line.Length <= width - 1, $"{line.Length} characters at {width} columns: {line}");
        Assert.Single(Regex.Matches(line, "35%"));
        Assert.True(Regex.Matches(line, "ETA").Count <= 1);
    }

    [Fact]
    public void FullAtAHundredColumnsCompactBelow()
    {
        var display = new ProgressDisplay("training", 100, TextWriter.Null, live: false, () => 0);
        display.Update(35, Figures);

        Assert.Matches(@"^training ━{14}─{26}  35%  epoch 2/5, step 7/20, loss 2\.303, acc 25%, lr 0\.0035, 3\.2 img/s  \d\d:\d\d elapsed, ETA \d\d:\d\d$",
            Visible(display.LiveLine(200)));
        // At 100 columns the bar shrinks (down to 10 characters) and the last figures give way.
        Assert.Matches(@"^training ━{6}─{10}  35%  epoch 2/5, step 7/20, loss 2\.303, acc 25%  \d\d:\d\d elapsed, ETA \d\d:\d\d$",
            Visible(display.LiveLine(100)));
        // Below: percentage, a 10-character bar, whole figures (the last ones dropped), one ETA.
        Assert.Matches(@"^ 35% ━{4}─{6} epoch 2/5, step 7/20, loss 2\.303, acc 25%, lr 0\.0035 ETA \d\d:\d\d$", Visible(display.LiveLine(80)));
        Assert.Matches(@"^ 35% ━{4}─{6} epoch 2/5, step 7/20, loss 2\.303 ETA \d\d:\d\d$", Visible(display.LiveLine(60)));
    }

    [Fact]
    public void PlainLinesAreCompleteAndComeAtEachTenthAndAtTheEnd()
    {
        var output = new StringWriter();
        var display = new ProgressDisplay("evaluating", 40, output, live: false, () => 80);
        display.Watch(() =>
        {
            for (var done = 1; done <= 38; done++)
                display.Update(done, $"{done}/40 images");
            return 0;
        });

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        // 1, then at least 4 (a tenth) more each time, then the end.
        Assert.Equal(["1/40", "5/40", "9/40", "13/40", "17/40", "21/40", "25/40", "29/40", "33/40", "37/40", "38/40"],
            lines.Select(l => Regex.Match(l, @"\((\d+/40)\)").Groups[1].Value));
        Assert.All(lines, l => Assert.Matches(@"^evaluating: \d+% \(\d+/40\), \d+/40 images, \d\d:\d\d elapsed, ETA \d\d:\d\d$", l));
        Assert.DoesNotContain('\r', output.ToString());
    }

    [Fact]
    public void AnInterruptEndsTheLiveLineAndPrintsTheMessageOnItsOwnLine()
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var display = new ProgressDisplay("training", 10, output, live: true, () => 80);
        display.Update(3, "epoch 1/2, step 3/5");
        display.Interrupt("interrupted at epoch 1, step 3/5; rerun with --resume to continue", errors);
        display.Update(4, "epoch 1/2, step 4/5");
        display.Finish();

        var screen = TerminalScreen.Show(output.ToString(), 80);
        Assert.Matches(@"^ 30% ━{3}─{7} epoch 1/2, step 3/5 ETA \d\d:\d\d$", Assert.Single(screen.Rows, r => r.Length > 0));
        Assert.EndsWith("\n", output.ToString());
        Assert.Equal("interrupted at epoch 1, step 3/5; rerun with --resume to continue" + Environment.NewLine, errors.ToString());
    }

    [Theory]
    [InlineData("runs/a", "runs/a")]
    [InlineData("./runs/../runs/a/p.safetensors", "runs/a/p.safetensors")]
    [InlineData("/elsewhere/p.safetensors", "/elsewhere/p.safetensors")]
    [InlineData("../p.safetensors", null)]
    public void WrittenPathsAreRelativeUnderTheCurrentFolderElseAbsolute(string given, string? shown)
    {
        var expected = shown ?? Path.GetFullPath(given);
        if (given.StartsWith("runs", StringComparison.Ordinal) || given.StartsWith("./", StringComparison.Ordinal))
            Assert.Equal(expected, OutputText.DisplayPath(Path.GetFullPath(given)));
        Assert.Equal(expected, OutputText.DisplayPath(given));
    }

    [Theory]
    [InlineData(null, 4096)]
    [InlineData("", 4096)]
    [InlineData("132", 132)]
    [InlineData("0", 4096)]
    [InlineData("-3", 4096)]
    [InlineData("wide", 4096)]
    public void RedirectedOutputIsLaidOutToColumnsOrNotWrapped(string? columns, int width) =>
        Assert.Equal(width, OutputText.RedirectedWidth(columns));

    [Fact]
    public void CountsAgreeWithTheirNumber()
    {
        Assert.Equal("1 epoch", OutputText.Count(1, "epoch"));
        Assert.Equal("0 steps", OutputText.Count(0, "step"));
        Assert.Equal("3 classes", OutputText.Count(3, "class", "classes"));
        Assert.Equal("1 class", OutputText.Count(1, "class", "classes"));
    }

    [GeneratedRegex("\u001b\\[[0-9;]*m")]
    private static partial Regex Escape();
}
