using System.CommandLine;
using Maple.Data;

namespace Maple.Cli;

/// <summary>The options that name a dataset: custom data (--data) or a benchmark (--data-root + --dataset), a split, a subset.</summary>
sealed class DataOptions
{
    readonly Option<string?> _data = new("--data", "-d")
    {
        Description = "labelled images: a folder with one sub-folder per class, or a CoOp/Dassl split JSON (a benchmark: --data-root and --dataset)",
        HelpName = "folder|split",
    };
    readonly Option<string?> _dataRoot = new("--data-root") { Description = "folder holding the benchmark datasets in the CoOp/Dassl layouts (with --dataset)", HelpName = "folder" };
    readonly Option<string?> _dataset = new("--dataset") { Description = $"benchmark dataset under --data-root ({string.Join(", ", BenchmarkDatasets.Names)})", HelpName = "name" };
    readonly Option<string> _split;
    readonly Option<string?> _imageRoot = new("--image-root") { Description = "folder a split file's paths are relative to (default: its folder, or its images/ sub-folder)" };
    readonly Option<string?> _classes = CommonOptions.ClassesFile("class names, one per line (line i = label i); wins over the data's names");
    readonly Option<string> _subset = new("--subset") { Description = "base (first half of the classes), novel (the rest) or all, each relabelled from 0", DefaultValueFactory = _ => "all" };

    /// <summary>Creates the options; <paramref name="defaultSplit"/> is the split a split file or benchmark is read from.</summary>
    public DataOptions(string defaultSplit) =>
        _split = new Option<string>("--split") { Description = "split of a split file or benchmark", DefaultValueFactory = _ => defaultSplit };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _data, _dataRoot, _dataset, _split, _imageRoot, _classes, _subset })
            command.Options.Add(option);
    }

    /// <summary>Refuses, naming the flags, a command line that names no data or a benchmark without its root.</summary>
    public static void RequireData(string? data, string? dataRoot, string? dataset)
    {
        if (dataset is not null && dataRoot is null && data is null)
            throw new UserInputException($"--dataset {dataset} needs --data-root, the folder that holds the datasets");
        if (dataset is null && data is null)
            throw new UserInputException("no data: give --data (an image folder or a split file) or --data-root with --dataset");
    }

    /// <summary>The benchmark dataset named by <c>--dataset</c>, or null for custom data.</summary>
    public string? Benchmark(ParseResult parse) => parse.GetValue(_dataset);

    /// <summary>The classes <c>--subset</c> keeps.</summary>
    public Subset Subset(ParseResult parse) => BaseNovelSplit.Parse(parse.GetValue(_subset)!);

    /// <summary>The split the options name.</summary>
    public string Split(ParseResult parse) => parse.GetValue(_split)!;

    /// <summary>
    /// Opens the dataset the options name, applies <paramref name="sample"/> (e.g. few-shot sampling, which
    /// CoOp does before choosing base or novel classes), then restricts it to the chosen subset of classes.
    /// </summary>
    public ImageDataset Open(ParseResult parse, Func<ImageDataset, ImageDataset>? sample = null)
    {
        RequireData(parse.GetValue(_data), parse.GetValue(_dataRoot), parse.GetValue(_dataset));
        var dataset = DatasetSource.Open(parse.GetValue(_data), parse.GetValue(_split)!, parse.GetValue(_imageRoot), parse.GetValue(_classes),
            parse.GetValue(_dataRoot), parse.GetValue(_dataset));
        if (sample is not null)
            dataset = sample(dataset);
        var subset = Subset(parse);
        return subset == Maple.Data.Subset.All ? dataset : BaseNovelSplit.Subsample(dataset, subset);
    }
}
