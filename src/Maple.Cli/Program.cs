Maple.Cli.OutputText.ConfigureRedirectedWidth();
return await Maple.Cli.MapleCommandLine.InvokeAsync(args);
