using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Maple.Clip;
using Maple.Data;
using Maple.Evaluation;
using Maple.Evaluation.Ood;
using Maple.Imaging;
using Maple.Prompting;
using Maple.Tests.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Packaging;

/// <summary>
/// The Maple and Maple.Cli packages as a user gets them: packed into a local folder, the examples built outside the
/// repository against the library package (and nothing else of the repository), run on the tiny model, and the tool
/// installed from the folder and run. Restores are offline: the local folder, plus the packages the solution's own
/// restore put in the global packages folder, read as a fallback folder.
/// </summary>
public sealed class PackageTests
{
    const string NeededOnlyByUnusedSymbol = "GLIBCXX_3.4.32";
    static readonly string[] Examples = ["ZeroShot", "TrainAndPredict", "OodScoring"];

    [Fact]
    public async Task PackedLibraryAndToolWorkOutsideTheRepository()
    {
        using var temp = new TempFolder();
        var root = Fixtures.RepositoryRoot;
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var feed = temp["feed"];
        foreach (var project in new[] { "src/Maple/Maple.csproj", "src/Maple.Cli/Maple.Cli.csproj" })
            Dotnet(root, "pack", Path.Combine(root, project), "-c", configuration, "--no-build", "-o", feed, "-nodeReuse:false");

        var library = Assert.Single(Directory.GetFiles(feed, "Maple.0*.nupkg"));
        var version = Path.GetFileNameWithoutExtension(library)["Maple.".Length..];
        CheckLibraryPackage(library);
        CheckToolPackage(Path.Combine(feed, $"Maple.Cli.{version}.nupkg"));

        // The examples, built as a user's projects.
        var globalPackages = Regex.Match(Dotnet(temp.Path, "nuget", "locals", "global-packages", "--list"), @"global-packages:\s*(.+)").Groups[1].Value.Trim();
        File.WriteAllText(temp["nuget.config"], $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources><clear /><add key="local" value="feed" /></packageSources>
              <config><add key="globalPackagesFolder" value="packages" /></config>
              <fallbackPackageFolders><add key="solution" value="{globalPackages}" /></fallbackPackageFolders>
            </configuration>
            """);
        foreach (var file in new[] { "Directory.Build.props", "Directory.Build.targets" })
            File.Copy(Path.Combine(root, "examples", file), temp[file]);
        foreach (var example in Examples)
        {
            var folder = Directory.CreateDirectory(temp[example]).FullName;
            foreach (var file in Directory.GetFiles(Path.Combine(root, "examples", example)))
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            var reference = XDocument.Load(Path.Combine(folder, $"{example}.csproj")).Descendants("PackageReference").Single();
            Assert.Equal(("Maple", version), ((string)reference.Attribute("Include")!, (string)reference.Attribute("Version")!));
        }
        File.WriteAllText(temp["examples.slnx"], $"<Solution>{string.Concat(Examples.Select(e => $"<Project Path=\"{e}/{e}.csproj\" />"))}</Solution>");
        Dotnet(temp.Path, "build", "examples.slnx", "-c", "Release", "-nodeReuse:false", "-p:UseSharedCompilation=false"); // no server left behind

        // The package's build targets patched the example's copy of TorchSharp's shim exactly where this system needs it.
        var shim = ElfVersionPatch.ReadVersionNeeds(File.ReadAllBytes(temp["TrainAndPredict/bin/Release/net10.0/runtimes/linux-x64/native/libLibTorchSharp.so"]));
        var system = ElfVersionPatch.SystemLibStdCxxVersions();
        Assert.NotNull(system);
        Assert.Equal(!system.Contains(NeededOnlyByUnusedSymbol), shim.Single(n => n.Version == NeededOnlyByUnusedSymbol).IsWeak);

        var model = Fixtures.TinyMapleModel;
        var data = PhotoFolder.Create(temp["data"]);
        var photo = Path.Combine(data, "tabby_cat", "chelsea.png");
        var others = Directory.CreateDirectory(temp["others"]).FullName;
        foreach (var name in new[] { "wide_600x100.png", "palette_color.png" })
            File.Copy(Path.Combine(Fixtures.Preprocess, "images", name), Path.Combine(others, name));
        using var clip = await PretrainedClip.LoadAsync(model); // the examples' precision: auto

        // Zero-shot: the encoders' features, exp(logit_scale) · cosine and a softmax give the same top classes.
        string[] classes = ["cat", "coffee cup", "rocket"];
        var zeroShot = Scores(Example(temp, "ZeroShot", model, photo, "cat", "coffee cup", "rocket"));
        using (var scope = NewDisposeScope())
        {
            var features = new FeatureExtractor(clip);
            var image = features.ImageFeatures([photo], normalize: true);
            var texts = features.TextFeatures(classes.Select(c => $"a photo of a {c}.").ToList(), normalize: true);
            var probabilities = (clip.Model.LogitScale.exp() * image.matmul(texts.t())).to(ScalarType.Float64).softmax(-1)[0].data<double>().ToArray();
            AssertSameScores(Ranked(probabilities, classes), zeroShot);
        }

        // Train one epoch, predict: the prompts it wrote, through the lower layers, give the same classes.
        var trained = Example(temp, "TrainAndPredict", model, data, temp["run"], photo, "1");
        Assert.Contains("epoch 1 step 2/2", trained); // 9 images, MaPLe's batch of 4
        using (var checkpoint = PromptCheckpoint.Read(temp["run/prompt.safetensors"]))
        using (var learner = checkpoint.CreateLearner(clip.Model, clip.Tokenizer))
        using (var prompted = new PromptedClip(clip.Model, learner, clip.Tokenizer, checkpoint.ClassNames!))
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            Assert.Equal(PromptMethod.Maple, checkpoint.Config.Method);
            Assert.Equal(3, checkpoint.Config.TextDepth); // every layer of the tiny model
            var logits = prompted.Logits(new EvalTransform(224, clip.Model.Normalization).Load(photo).unsqueeze(0));
            var probabilities = logits.to(ScalarType.Float64).softmax(-1)[0].data<double>().ToArray();
            AssertSameScores(Ranked(probabilities, checkpoint.ClassNames!), Scores(trained));
        }

        // OOD: AUROC of the lower layer's scorer over the same sets.
        var ood = Example(temp, "OodScoring", model, data, others);
        using (var learner = PromptLearners.Create(PromptConfig.ZeroShot(), clip.Model, clip.Tokenizer, seed: 0))
        {
            var known = ImageFolder.Load(data);
            using var prompted = new PromptedClip(clip.Model, learner, clip.Tokenizer, known.ClassNames);
            var unknown = new ImageDataset(others, known.ClassNames, ImageFiles.Expand([others]).Select(p => new LabeledImage(p, 0)).ToList());
            var options = new OodScoreOptions(OodScore.Mcm);
            var metrics = OodMetrics.Compute(OodScorer.Score(prompted, known, options), OodScorer.Score(prompted, unknown, options));
            Assert.Contains($"AUROC\t{metrics.Auroc.ToString("F4", CultureInfo.InvariantCulture)}", ood);
        }

        // The tool, installed from the folder: its version, and a command that computes with libtorch.
        File.WriteAllText(temp["tool.config"], """
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="local" value="feed" /></packageSources></configuration>
            """);
        Dotnet(temp.Path, "tool", "install", "Maple.Cli", "--version", version, "--tool-path", temp["tools"], "--configfile", temp["tool.config"]);
        var maple = temp["tools/maple"];
        Assert.StartsWith(version, Run(maple, temp.Path, "--version").Trim());
        Assert.Contains("chelsea.png", Run(maple, temp.Path, "zeroshot", "--model", model, "--class", "cat", "--class", "cup", "--images", photo));
    }

    /// <summary>The library package: its readme, its dependencies, and the build targets for every consumer.</summary>
    static void CheckLibraryPackage(string path)
    {
        using var package = ZipFile.OpenRead(path);
        var files = package.Entries.Select(e => e.FullName).ToHashSet();
        foreach (var folder in new[] { "build", "buildTransitive" })
            Assert.Superset(new HashSet<string> { $"{folder}/Maple.targets", $"{folder}/LibTorchSharp.targets", $"{folder}/ElfVersionPatch.cs" }, files);
        Assert.Contains("lib/net10.0/Maple.xml", files); // XML docs for IntelliSense
        var nuspec = Nuspec(package, "Maple.nuspec");
        Assert.Equal("README.md", Element(nuspec, "readme"));
        Assert.Contains("README.md", files);
        var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string)e.Attribute("id")!).ToList();
        Assert.Contains("TorchSharp", dependencies);
        Assert.Contains("libtorch-cpu-linux-x64", dependencies);
    }

    /// <summary>The tool package: a readme, the command name, and a shim that loads on systems older than GCC 13.</summary>
    static void CheckToolPackage(string path)
    {
        using var package = ZipFile.OpenRead(path);
        Assert.Equal("README.md", Element(Nuspec(package, "Maple.Cli.nuspec"), "readme"));
        using (var settings = package.Entries.Single(e => e.FullName.EndsWith("/DotnetToolSettings.xml", StringComparison.Ordinal)).Open())
            Assert.Equal("maple", (string)XDocument.Load(settings).Descendants("Command").Single().Attribute("Name")!);
        var shim = package.Entries.Single(e => e.FullName.EndsWith("linux-x64/native/libLibTorchSharp.so", StringComparison.Ordinal));
        using var stream = shim.Open();
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        // Weak whatever the packing system's libstdc++: the package runs elsewhere.
        Assert.True(ElfVersionPatch.ReadVersionNeeds(bytes.ToArray()).Single(n => n.Version == NeededOnlyByUnusedSymbol).IsWeak);
    }

    static XDocument Nuspec(ZipArchive package, string name)
    {
        using var stream = package.GetEntry(name)!.Open();
        return XDocument.Load(stream);
    }

    static string? Element(XDocument document, string name) => document.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    /// <summary>The "class\tprobability" lines an example prints.</summary>
    static List<(string Name, double Probability)> Scores(string output) =>
        output.Split('\n').Select(l => l.TrimEnd('\r').Split('\t')).Where(p => p.Length == 2 && double.TryParse(p[1], CultureInfo.InvariantCulture, out _))
            .Select(p => (p[0], double.Parse(p[1], CultureInfo.InvariantCulture))).ToList();

    static List<ClassScore> Ranked(double[] probabilities, IReadOnlyList<string> classNames) =>
        Enumerable.Range(0, probabilities.Length).OrderByDescending(c => probabilities[c])
            .Select(c => new ClassScore(c, classNames[c], (float)probabilities[c])).ToList();

    static void AssertSameScores(IReadOnlyList<ClassScore> expected, List<(string Name, double Probability)> printed)
    {
        Assert.Equal(expected.Select(s => s.ClassName), printed.Select(p => p.Name));
        for (var i = 0; i < expected.Count; i++)
            Assert.Equal(expected[i].Probability, printed[i].Probability, 6e-5); // printed with 4 decimals
    }

    static string Example(TempFolder temp, string name, params string[] args) =>
        Run("dotnet", temp.Path, [temp[$"{name}/bin/Release/net10.0/{name}.dll"], .. args]);

    static string Dotnet(string workingDirectory, params string[] args) => Run("dotnet", workingDirectory, args);

    /// <summary>Runs a program to its end (at most 10 minutes); returns its output, or fails with it.</summary>
    static string Run(string program, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        // Not the test host's MSBuild: the child is a user's dotnet.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["OMP_NUM_THREADS"] = "1"; // as the tests' own libtorch
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', args)} did not finish in 10 minutes");
        }
        var text = output.Result + error.Result;
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} exited with {process.ExitCode}:\n{text}");
        return output.Result;
    }
}
