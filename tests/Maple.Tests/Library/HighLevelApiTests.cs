using System.Text.Json;
using Maple.Clip;
using Maple.Clip.Safetensors;
using Maple.Evaluation.Ood;
using Maple.Imaging;
using Maple.Prompting;
using Maple.Tests.Training;
using Maple.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Library;

/// <summary>
/// The high-level API (<see cref="ClipBackbone"/>, <see cref="ImageClassifier"/>) against the tiny-maple references
/// computed in PyTorch, and against the lower layers' numbers turned into probabilities by hand.
/// </summary>
public sealed class HighLevelApiTests : IAsyncLifetime
{
    ClipBackbone _clip = null!;
    IReadOnlyList<string> _classNames = null!;

    public async Task InitializeAsync()
    {
        _clip = await ClipBackbone.LoadAsync(Fixtures.TinyMapleModel, Precision.Fp32);
        using var caseJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.TinyMaple, "case.json")));
        _classNames = caseJson.RootElement.GetProperty("classnames").EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    public Task DisposeAsync()
    {
        _clip.Dispose();
        return Task.CompletedTask;
    }

    static Tensor FixtureImages()
    {
        using var inputs = SafetensorsFile.Open(Path.Combine(Fixtures.TinyMaple, "inputs.safetensors"));
        using var all = inputs.Read("images");
        return all[0].clone(); // the step-0 batch [4, 3, 224, 224], already normalised
    }

    static Tensor Reference(string file, string name)
    {
        using var reference = SafetensorsFile.Open(Path.Combine(Fixtures.TinyMaple, file));
        return reference.Read(name);
    }

    static string Photo(string name) => Path.Combine(Fixtures.Preprocess, "images", name);

    /// <summary>Softmax of one row, in doubles, by hand.</summary>
    static double[] Softmax(float[] logits)
    {
        var max = logits.Max();
        var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
        return exp.Select(e => e / exp.Sum()).ToArray();
    }

    static void AssertTopMatches(double[] probabilities, IReadOnlyList<string> classNames, IReadOnlyList<ClassScore> top, int k)
    {
        var expected = Enumerable.Range(0, probabilities.Length).OrderByDescending(c => probabilities[c]).Take(k).ToList();
        Assert.Equal(expected, top.Select(s => s.Index));
        Assert.Equal(expected.Select(c => classNames[c]), top.Select(s => s.ClassName));
        for (var i = 0; i < k; i++)
            Assert.Equal(probabilities[expected[i]], top[i].Probability, 1e-6); // fp32 probabilities
    }

    [Fact]
    public void ZeroShotLogitsMatchThePyTorchReference()
    {
        using var scope = NewDisposeScope();
        using var classifier = _clip.ZeroShot(_classNames);
        Assert.Equal(PromptMethod.ZeroShot, classifier.Method);
        TensorAssert.RelativeClose(Reference("zeroshot.safetensors", "logits"), classifier.Logits(FixtureImages()), 1e-5, "zero-shot logits");
    }

    [Fact]
    public void LearnedPromptLogitsMatchThePyTorchReference()
    {
        // init.safetensors holds tensors only (the authors' names), so the classes are given.
        using var scope = NewDisposeScope();
        using var classifier = _clip.LoadClassifier(Path.Combine(Fixtures.TinyMaple, "init.safetensors"), _classNames);
        Assert.Equal(PromptMethod.Maple, classifier.Method);
        TensorAssert.RelativeClose(Reference("expected_fp32.safetensors", "logits"), classifier.Logits(FixtureImages()), 1e-4, "MaPLe logits");
    }

    [Fact]
    public void ZeroShotPredictIsTheSoftmaxOfLogitsComputedByHand()
    {
        string[] classes = ["cat", "coffee cup", "rocket", "astronaut"];
        var photo = Photo("chelsea.png");
        using var classifier = _clip.ZeroShot(classes);
        var top = classifier.Predict(photo, top: 3);

        // By hand: the model's encoders, cosine in doubles, exp(logit_scale), softmax.
        using var scope = NewDisposeScope();
        var model = _clip.Pretrained.Model;
        var pixels = new EvalTransform(model.Config.Vision.ImageSize, model.Normalization).Load(photo).unsqueeze(0);
        using var _ = no_grad();
        var image = model.EncodeImage(pixels)[0].data<float>().ToArray();
        var texts = model.EncodeText(_clip.Pretrained.Tokenizer.Tokenize(classes.Select(c => $"a photo of a {c}.").ToList(), model.Config.Text.ContextLength));
        var scale = Math.Exp(model.LogitScale.item<float>());
        var logits = new float[classes.Length];
        for (var c = 0; c < classes.Length; c++)
        {
            var text = texts[c].data<float>().ToArray();
            double dot = 0, imageNorm = 0, textNorm = 0;
            for (var i = 0; i < image.Length; i++)
                (dot, imageNorm, textNorm) = (dot + image[i] * text[i], imageNorm + image[i] * image[i], textNorm + text[i] * text[i]);
            logits[c] = (float)(scale * dot / Math.Sqrt(imageNorm * textNorm));
        }
        AssertTopMatches(Softmax(logits), classes, top, 3);
    }

    [Fact]
    public void LearnedPromptsPredictIsTheSoftmaxOfTheLowerLayersLogits()
    {
        var photos = new[] { Photo("coffee.png"), Photo("astronaut.png") };
        using var classifier = _clip.LoadClassifier(Path.Combine(Fixtures.TinyMaple, "init.safetensors"), _classNames);

        // The lower layers by hand: the checkpoint's learner, PromptedClip's logits of the transformed file.
        using var checkpoint = PromptCheckpoint.Read(Path.Combine(Fixtures.TinyMaple, "init.safetensors"));
        using var learner = checkpoint.CreateLearner(_clip.Pretrained.Model, _clip.Pretrained.Tokenizer);
        using var prompted = new PromptedClip(_clip.Pretrained.Model, learner, _clip.Pretrained.Tokenizer, _classNames);
        var transform = new EvalTransform(224, _clip.Pretrained.Model.Normalization);
        var many = classifier.Predict(photos, top: 4, batchSize: 1);
        for (var i = 0; i < photos.Length; i++)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var logits = prompted.Logits(transform.Load(photos[i]).unsqueeze(0))[0].data<float>().ToArray();
            var probabilities = Softmax(logits);
            AssertTopMatches(probabilities, _classNames, classifier.Predict(photos[i], top: 4), 4);
            Assert.Equal(photos[i], many[i].Path);
            AssertTopMatches(probabilities, _classNames, many[i].Top, 4);
            Assert.Equal(logits, many[i].Logits, (a, b) => Math.Abs(a - b) <= 1e-4 * Math.Abs(logits.Max()));
        }
        var decoded = classifier.Predict(ImageDecoder.Decode(photos[0]), top: 2);
        Assert.Equal(many[0].Top.Take(2).Select(s => s.Index), decoded.Select(s => s.Index));
    }

    [Fact]
    public void CoCoOpClassifierComputesTheTextOfEachImage()
    {
        using var temp = new TempFolder();
        var model = _clip.Pretrained.Model;
        string[] classes = ["cat", "coffee cup", "rocket"];
        using var learner = PromptLearners.Create(PromptConfig.CoCoOp(), model, _clip.Pretrained.Tokenizer, seed: 3);
        PromptCheckpoint.Save(temp["cocoop.safetensors"], learner, PromptCheckpoint.Describe(learner, "tiny", classes));
        using var classifier = _clip.LoadClassifier(temp["cocoop.safetensors"]);
        Assert.Equal(PromptMethod.CoCoOp, classifier.Method);
        Assert.Equal(classes, classifier.ClassNames);

        // By hand, per image: the meta-network shifts the context by the image's normalised feature.
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var images = FixtureImages();
        var ids = _clip.Pretrained.Tokenizer.Tokenize(classes.Select(c => $"a photo of a {c}.").ToList(), model.Config.Text.ContextLength);
        var rows = new List<Tensor>();
        for (var i = 0; i < images.shape[0]; i++)
        {
            var image = ClipModel.Normalize(model.EncodeImage(images[i..(i + 1)]))[0];
            var text = ClipModel.Normalize(model.EncodeText(ids, learner.TextPromptsFor(image)));
            rows.Add(model.LogitScale.exp() * text.matmul(image));
        }
        TensorAssert.RelativeClose(stack(rows), classifier.Logits(images), 1e-5, "CoCoOp logits");
        var cosines = (stack(rows) / model.LogitScale.exp()).to(ScalarType.Float64);
        var mcm = cosines.softmax(-1).amax([-1]).data<double>().ToArray();
        Assert.Equal(mcm, classifier.OodScores(images), (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void OodScoresAreTheScoresOfTheReferenceLogitsComputedByHand()
    {
        using var scope = NewDisposeScope();
        using var classifier = _clip.ZeroShot(_classNames);
        var reference = Reference("zeroshot.safetensors", "logits");
        var scale = Math.Exp(_clip.Pretrained.Model.LogitScale.item<float>());
        var images = FixtureImages();

        var mcm = classifier.OodScores(images);
        var energy = classifier.OodScores(images, new OodScoreOptions(OodScore.Energy));
        for (var i = 0; i < 4; i++)
        {
            var logits = reference[i].data<float>().ToArray();
            // MCM: max softmax of the cosines (logits / exp(logit_scale)) at temperature 1.
            var cosines = logits.Select(l => (float)(l / scale)).ToArray();
            Assert.Equal(Softmax(cosines).Max(), mcm[i], 5);
            // Energy: logsumexp of the logits.
            var max = logits.Max();
            Assert.Equal(max + Math.Log(logits.Sum(l => Math.Exp(l - max))), energy[i], 3);
        }
    }

    [Fact]
    public void OodScoresOfFilesAreThoseOfTheirPixels()
    {
        var photos = new[] { Photo("chelsea.png"), Photo("rocket.jpg"), Photo("camera.png") };
        using var classifier = _clip.ZeroShot(["cat", "rocket"]);
        var options = new OodScoreOptions(OodScore.GlMcm);
        var files = classifier.OodScores(photos, options, batchSize: 2);
        using var scope = NewDisposeScope();
        var pixels = classifier.Transform.LoadBatch(photos);
        var expected = classifier.OodScores(pixels, options);
        for (var i = 0; i < photos.Length; i++)
        {
            Assert.Equal(expected[i], files[i], 6);
            Assert.Equal(expected[i], classifier.OodScore(photos[i], options), 6);
        }
    }

    [Fact]
    public async Task TrainPromptsThenClassifyWithThem()
    {
        using var temp = new TempFolder();
        var data = Maple.Data.ImageFolder.Load(PhotoFolder.Create(temp["data"]));
        var maple = MethodPreset.Get("maple").Adapt(depth: 3, epochs: 1);
        maple = maple with { Options = maple.Options with { BatchSize = 3 } };
        var steps = new List<TrainingProgress>();

        var run = await _clip.TrainPromptsAsync(data, maple, temp["run"], new SynchronousProgress<TrainingProgress>(steps.Add));

        Assert.Equal(temp["run/prompt.safetensors"], run.PromptsPath);
        Assert.Equal(PromptMethod.Maple, run.Method);
        Assert.Equal(["astronaut", "coffee cup", "tabby cat"], run.ClassNames); // folder names, sorted
        Assert.Equal(0, run.SkippedImages);
        Assert.Equal([1, 2, 3], steps.Select(s => s.GlobalStep)); // 9 images, batch 3, one epoch
        Assert.Equal(3, File.ReadAllLines(temp["run/train.jsonl"]).Length);

        using var classifier = run.ToClassifier();
        Assert.Equal(run.ClassNames, classifier.ClassNames);
        using var checkpoint = PromptCheckpoint.Read(run.PromptsPath);
        Assert.Equal(3, checkpoint.Config.TextDepth);
        using var learner = checkpoint.CreateLearner(_clip.Pretrained.Model, _clip.Pretrained.Tokenizer);
        using var prompted = new PromptedClip(_clip.Pretrained.Model, learner, _clip.Pretrained.Tokenizer, run.ClassNames);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var photo = Path.Combine(temp["data"], "tabby_cat", "chelsea.png");
        var logits = prompted.Logits(classifier.Transform.Load(photo).unsqueeze(0))[0].data<float>().ToArray();
        AssertTopMatches(Softmax(logits), run.ClassNames, classifier.Predict(photo, top: 3), 3);

        // A second run into the same folder is refused unless it resumes; resuming a finished run changes nothing.
        await Assert.ThrowsAsync<RunExistsException>(() => _clip.TrainPromptsAsync(data, maple, temp["run"]));
        var resumed = await _clip.TrainPromptsAsync(data, maple, temp["run"], resume: true);
        Assert.Equal(run.PromptsPath, resumed.PromptsPath);
    }

    [Fact]
    public async Task SettingsThatDoNotFitAndMissingInputsAreClearErrors()
    {
        using var temp = new TempFolder();
        var data = Maple.Data.ImageFolder.Load(PhotoFolder.Create(temp["data"]));
        var deep = await Assert.ThrowsAsync<UserInputException>(() => _clip.TrainPromptsAsync(data, MethodPreset.Get("maple"), temp["run"]));
        Assert.Contains("depth 9", deep.Message);

        var init = Path.Combine(Fixtures.TinyMaple, "init.safetensors");
        var noClasses = Assert.Throws<UserInputException>(() => _clip.LoadClassifier(init));
        Assert.Contains(init, noClasses.Message);

        using var classifier = _clip.ZeroShot(["cat", "dog"]);
        var missing = Assert.Throws<ImageDecodeException>(() => classifier.Predict(temp["missing.jpg"]));
        Assert.Contains("missing.jpg", missing.Message);
        Assert.Throws<UserInputException>(() => _clip.ZeroShot(["cat", " "]));
        Assert.Throws<UserInputException>(() => _clip.ZeroShot(["cat"], ["no placeholder"]));
    }

    /// <summary>Reports on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
