using System.CommandLine;
using Maple.Cli;
using Maple.Cli.Commands;

namespace Maple.Tests.ZeroShot;

/// <summary>Runs the zeroshot and embed commands in-process, as <c>maple</c> does, capturing the errors.</summary>
static class CliRunner
{
    public static async Task<(int Code, string Error)> RunAsync(params string[] args)
    {
        var root = new RootCommand { ZeroShotCommand.Create(), EmbedCommand.Create() };
        using var error = new StringWriter();
        var code = await CommandRunner.InvokeAsync(root, args, error);
        return (code, error.ToString());
    }
}
