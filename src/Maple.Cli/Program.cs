// Training steps reuse what the previous one freed instead of page-faulting it in again (see GlibcAllocator).
Maple.GlibcAllocator.KeepFreedMemory();
Maple.Cli.OutputText.ConfigureRedirectedWidth();
return await Maple.Cli.MapleCommandLine.InvokeAsync(args);
