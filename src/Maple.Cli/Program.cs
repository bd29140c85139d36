return await Maple.Cli.MapleCommandLine.InvokeAsync(args);
