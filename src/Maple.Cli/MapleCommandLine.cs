using System.CommandLine;
using Maple.Cli.Commands;

namespace Maple.Cli;

/// <summary>The <c>maple</c> command line: every command, and the entry point tests call in-process.</summary>
public static class MapleCommandLine
{
    /// <summary>Builds the root command with every sub-command.</summary>
    public static RootCommand Create()
    {
        var root = new RootCommand("Maple: multi-modal prompt learning (MaPLe) for CLIP, and its baselines.")
        {
            TrainCommand.Create(),
            EvalCommand.Create(),
            PredictCommand.Create(),
            ZeroShotCommand.Create(),
            EmbedCommand.Create(),
            ImportCommand.Create(),
            DataCommand.Create(),
            BenchmarkCommand.Create(),
            DemoCommand.Create(),
            OodCommand.Create(),
        };
        CommonOptions.AddRangeChecks(root);
        HelpText.Install(root);
        return root;
    }

    /// <summary>Runs <paramref name="args"/>; returns the exit code. Errors go to <paramref name="error"/> (default: standard error).</summary>
    public static Task<int> InvokeAsync(string[] args, TextWriter? error = null) => CommandRunner.InvokeAsync(Create(), args, error);
}
