using Maple.Cli;

namespace Maple.Tests;

/// <summary>Runs <c>maple</c> in-process, capturing the errors.</summary>
static class CliRunner
{
    public static async Task<(int Code, string Error)> RunAsync(params string[] args)
    {
        using var error = new StringWriter();
        var code = await MapleCommandLine.InvokeAsync(args, error);
        return (code, error.ToString());
    }
}
