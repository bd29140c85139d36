using Spectre.Console;

namespace Maple.Cli;

/// <summary>Runs work under a Spectre.Console progress bar whose description the work keeps current.</summary>
static class ProgressDisplay
{
    /// <summary>Runs <paramref name="work"/> with one bar of <paramref name="total"/> units.</summary>
    public static T Run<T>(string title, double total, Func<Action<double, string>, T> work) =>
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: total);
                return work((value, description) =>
                {
                    task.Value = value;
                    task.Description = Markup.Escape(description);
                });
            });
}
