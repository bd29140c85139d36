using Maple.Bench.Cases;
using TorchSharp;

namespace Maple.Bench;

/// <summary>The child process: runs one case and prints its figures as result lines.</summary>
public static class CaseRunner
{
    /// <summary>Runs the case named by <paramref name="args"/> (the words after <c>case</c>).</summary>
    public static int Run(IReadOnlyList<string> args)
    {
        var arguments = CaseArguments.Parse(args);
        // Intra-op threads are the figure's setting; inter-op parallelism would only add noise.
        StartupClock.LoadNative(() => torch.set_num_threads(arguments.Threads));
        torch.set_num_interop_threads(1);
        IBenchCase benchCase = arguments.Name switch
        {
            "prepare" => new PrepareCase(),
            "gemm" => new GemmCase(),
            "load" => new LoadCase(),
            "image" => new ImageEncoderCase(),
            "text" => new TextEncoderCase(),
            "train" => new TrainStepCase(),
            "train-mmrl" => new MmrlTrainStepCase(),
            "promptsrc" => new PromptSrcStepCase(),
            "eval" => new EvaluationCase(),
            "preprocess" => new PreprocessCase(),
            "profile" => new ProfileCase(),
            "predict" => new PredictCase(),
            "job" => new JobCase(),
            _ => throw new ArgumentException($"unknown case '{arguments.Name}'"),
        };
        foreach (var measurement in benchCase.Run(arguments))
        {
            var withMemory = measurement.PeakRssMb > 0 ? measurement : measurement with { PeakRssMb = ProcessMemory.PeakRssMb() };
            Console.WriteLine(ResultJson.Line(withMemory));
        }
        return 0;
    }
}
