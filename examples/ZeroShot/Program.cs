// Zero-shot CLIP: classify an image among class names, nothing learned.
//   dotnet run -- <model> <image> <class> <class> [...]
// <model>: a Hugging Face id in the local cache (openai/clip-vit-base-patch16), a Hugging Face folder, open_clip
// weights or an OpenAI .pt archive.
using Maple;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: ZeroShot <model> <image> <class> <class> [...]");
    return 1;
}

using var clip = await ClipBackbone.LoadAsync(args[0]);
using var classifier = clip.ZeroShot(args[2..]);
foreach (var score in classifier.Predict(args[1], top: 3))
    Console.WriteLine($"{score.ClassName}\t{score.Probability:F4}");
return 0;
