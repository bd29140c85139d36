using Maple.Bench;

StartupClock.EntryReached();
// As maple itself does: the cases measure the product.
Maple.GlibcAllocator.KeepFreedMemory();
if (args.Length > 0 && args[0] == "case")
    return CaseRunner.Run(args[1..]);
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"Maple.Bench: {e.Message}");
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}
return Orchestrator.Run(options, args);
