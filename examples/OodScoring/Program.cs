// Out-of-distribution detection: how well do MCM scores tell images of known classes from other images?
//   dotnet run -- <model> <id-folder> <ood-folder> [prompts.safetensors]
// <id-folder> has one sub-folder per known class; <ood-folder> holds other images (any layout).
using Maple;
using Maple.Data;
using Maple.Evaluation.Ood;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: OodScoring <model> <id-folder> <ood-folder> [prompts.safetensors]");
    return 1;
}

using var clip = await ClipBackbone.LoadAsync(args[0]);
var known = ImageFolder.Load(args[1]);
using var classifier = args.Length > 3 ? clip.LoadClassifier(args[3], known.ClassNames) : clip.ZeroShot(known.ClassNames);

var options = new OodScoreOptions(OodScore.Mcm);
var idScores = classifier.OodScores(known.Items.Select(i => i.Path).ToList(), options);
var others = ImageFiles.Expand([args[2]]);
var oodScores = classifier.OodScores(others, options);
var metrics = OodMetrics.Compute(idScores, oodScores);
Console.WriteLine($"{idScores.Length} ID and {oodScores.Length} OOD images");
Console.WriteLine($"AUROC\t{metrics.Auroc:F4}");
Console.WriteLine($"FPR95\t{metrics.Fpr95:F4}");
foreach (var (path, score) in others.Zip(oodScores))
    Console.WriteLine($"{Path.GetFileName(path)}\t{score:F4}");
return 0;
