// Learn MaPLe prompts on an image folder (one sub-folder per class), then classify an image with them.
//   dotnet run -- <model> <train-folder> <output-folder> <image> [epochs]
using Maple;
using Maple.Data;
using Maple.Training;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: TrainAndPredict <model> <train-folder> <output-folder> <image> [epochs]");
    return 1;
}
var epochs = args.Length > 4 ? int.Parse(args[4]) : 5;

using var clip = await ClipBackbone.LoadAsync(args[0]);
var data = ImageFolder.Load(args[1]);

// The paper's recipe; prompts in the first 9 layers, or in every layer of a smaller backbone.
var layers = clip.Pretrained.Model.Config.Text.Layers;
var maple = MethodPreset.Get("maple").Adapt(depth: Math.Min(9, layers), epochs: epochs);
var progress = new Progress<TrainingProgress>(p => Console.WriteLine($"epoch {p.Epoch + 1} step {p.Step + 1}/{p.StepsPerEpoch}: loss {p.Loss:F3}"));
var run = await clip.TrainPromptsAsync(data, maple, args[2], progress);
Console.WriteLine($"prompts: {run.PromptsPath}");

// Later, or in another program: clip.LoadClassifier("<output-folder>/prompt.safetensors").
using var classifier = run.ToClassifier();
foreach (var score in classifier.Predict(args[3], top: 3))
    Console.WriteLine($"{score.ClassName}\t{score.Probability:F4}");
return 0;
