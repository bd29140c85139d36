using System.CommandLine;
using Maple.Cli;
using Maple.Cli.Commands;

var root = new RootCommand("Maple: multi-modal prompt learning (MaPLe) for CLIP, and its baselines.")
{
    TrainCommand.Create(),
    EvalCommand.Create(),
    PredictCommand.Create(),
    DemoCommand.Create(),
};
return await CommandRunner.InvokeAsync(root, args);
