namespace Maple.Tests.Datasets;

/// <summary>Miniature copies of the benchmark layouts of CoOp's DATASETS.md: a few classes of tiny images each.</summary>
static class MiniBenchmarks
{
    public static readonly string[] EuroSatFolders = ["AnnualCrop", "Forest", "HerbaceousVegetation", "SeaLake"];

    /// <summary>4 classes x 5 images; the split file (when written) puts 2 in train, 1 in val, 2 in test per class and uses the raw folder names.</summary>
    public static void EuroSat(MiniRoot r, bool splitFile = true)
    {
        var perClass = EuroSatFolders.Select(c => r.Images($"eurosat/2750/{c}", 5, $"{c}_")
            .Select(p => p["eurosat/2750/".Length..]).ToList()).ToList();
        if (splitFile)
            r.SplitFile("eurosat/split_zhou_EuroSAT.json", Split(perClass, EuroSatFolders, 2, 1));
    }

    /// <summary>Caltech101 folders with the two excluded ones; 4 images each (just enough for 50/20/30).</summary>
    public static void Caltech101(MiniRoot r)
    {
        foreach (var c in new[] { "BACKGROUND_Google", "Faces", "Faces_easy", "accordion", "airplanes" })
            r.Images($"caltech-101/101_ObjectCategories/{c}", 4, "image_");
    }

    public static void Dtd(MiniRoot r)
    {
        string[] classes = ["banded", "blotchy", "braided"];
        var perClass = classes.Select(c => r.Images($"dtd/images/{c}", 3, $"{c}_").Select(p => p["dtd/images/".Length..]).ToList()).ToList();
        r.SplitFile("dtd/split_zhou_DescribableTextures.json", Split(perClass, classes, 1, 1));
    }

    /// <summary>Pets with its official lists (no split file): 2 breeds x 6 images, 4 trainval + 2 test each.</summary>
    public static void OxfordPets(MiniRoot r)
    {
        var trainval = new List<string>();
        var test = new List<string>();
        foreach (var (breed, id) in new[] { ("Abyssinian", 1), ("american_bulldog", 2) })
        {
            for (var i = 1; i <= 6; i++)
            {
                r.Image($"oxford_pets/images/{breed}_{i}.jpg", (byte)(i * 30));
                (i <= 4 ? trainval : test).Add($"{breed}_{i} {id} {(id == 1 ? 1 : 2)} 1");
            }
        }
        r.Text("oxford_pets/annotations/trainval.txt", [.. trainval]);
        r.Text("oxford_pets/annotations/test.txt", [.. test]);
    }

    public static void StanfordCars(MiniRoot r)
    {
        r.Image("stanford_cars/cars_train/00001.jpg");
        r.Image("stanford_cars/cars_train/00002.jpg");
        r.Image("stanford_cars/cars_test/00001.jpg");
        r.SplitFile("stanford_cars/split_zhou_StanfordCars.json", new()
        {
            ["train"] = [("cars_train/00001.jpg", 0, "2012 Tesla Model S"), ("cars_train/00002.jpg", 1, "2012 BMW M3 coupe")],
            ["val"] = [("cars_train/00002.jpg", 1, "2012 BMW M3 coupe")],
            ["test"] = [("cars_test/00001.jpg", 0, "2012 Tesla Model S")],
        });
    }

    public static void OxfordFlowers(MiniRoot r)
    {
        for (var i = 1; i <= 3; i++)
            r.Image($"oxford_flowers/jpg/image_{i:D5}.jpg");
        r.SplitFile("oxford_flowers/split_zhou_OxfordFlowers.json", new()
        {
            ["train"] = [("image_00001.jpg", 0, "pink primrose"), ("image_00002.jpg", 1, "hard-leaved pocket orchid")],
            ["val"] = [("image_00003.jpg", 0, "pink primrose")],
            ["test"] = [("image_00003.jpg", 0, "pink primrose")],
        });
    }

    /// <summary>Food-101 with its meta lists (no split file): 2 dishes x 6 images, 4 train + 2 test each.</summary>
    public static void Food101(MiniRoot r)
    {
        string[] dishes = ["apple_pie", "baby_back_ribs"];
        var train = new List<string>();
        var test = new List<string>();
        foreach (var dish in dishes)
        {
            for (var i = 1; i <= 6; i++)
            {
                r.Image($"food-101/images/{dish}/{100 + i}.jpg", (byte)(i * 30));
                (i <= 4 ? train : test).Add($"{dish}/{100 + i}");
            }
        }
        r.Text("food-101/meta/classes.txt", dishes);
        r.Text("food-101/meta/train.txt", [.. train]);
        r.Text("food-101/meta/test.txt", [.. test]);
    }

    public static readonly string[] Variants = ["707-320", "A300B4", "F/A-18"];

    /// <summary>FGVC-Aircraft: 3 variants, 2 train, 1 val, 1 test image each.</summary>
    public static void FgvcAircraft(MiniRoot r)
    {
        r.Text("fgvc_aircraft/variants.txt", Variants);
        var lists = new Dictionary<string, List<string>> { ["train"] = [], ["val"] = [], ["test"] = [] };
        var id = 1000000;
        foreach (var variant in Variants)
        {
            foreach (var split in new[] { "train", "train", "val", "test" })
            {
                id++;
                r.Image($"fgvc_aircraft/images/{id}.jpg");
                lists[split].Add($"{id} {variant}");
            }
        }
        foreach (var (split, lines) in lists)
            r.Text($"fgvc_aircraft/images_variant_{split}.txt", [.. lines]);
    }

    /// <summary>SUN397 with its first partition (no split file): 2 scenes, 4 training + 1 testing image each.</summary>
    public static void Sun397(MiniRoot r)
    {
        string[] classes = ["/a/abbey", "/a/apartment_building/outdoor"];
        r.Text("sun397/ClassName.txt", classes);
        var train = new List<string>();
        var test = new List<string>();
        foreach (var c in classes)
        {
            for (var i = 1; i <= 5; i++)
            {
                var relative = $"{c}/sun_{i}.jpg";
                r.Image($"sun397/SUN397{relative}");
                (i <= 4 ? train : test).Add(relative);
            }
        }
        r.Text("sun397/Training_01.txt", [.. train]);
        r.Text("sun397/Testing_01.txt", [.. test]);
    }

    /// <summary>UCF101 middle frames with the official lists (no split file): 2 actions, 4 training + 1 test video each.</summary>
    public static void Ucf101(MiniRoot r)
    {
        string[] actions = ["ApplyEyeMakeup", "YoYo"];
        r.Text("ucf101/ucfTrainTestlist/classInd.txt", "1 ApplyEyeMakeup", "2 YoYo");
        var train = new List<string>();
        var test = new List<string>();
        for (var a = 0; a < actions.Length; a++)
        {
            var folder = a == 0 ? "Apply_Eye_Makeup" : "Yo_Yo";
            for (var g = 1; g <= 5; g++)
            {
                var video = $"v_{actions[a]}_g{g:D2}_c01";
                r.Image($"ucf101/UCF-101-midframes/{folder}/{video}.jpg");
                if (g <= 4)
                    train.Add($"{actions[a]}/{video}.avi {a + 1}");
                else
                    test.Add($"{actions[a]}/{video}.avi");
            }
        }
        r.Text("ucf101/ucfTrainTestlist/trainlist01.txt", [.. train]);
        r.Text("ucf101/ucfTrainTestlist/testlist01.txt", [.. test]);
    }

    public static readonly string[] ClassNamesTxt =
    [
        "n01440764 tench",
        "n01443537 goldfish",
        "n01484850 great white shark",
        "n01491361 tiger shark",
    ];

    /// <summary>ImageNet with 3 of the 4 classes of its classnames.txt: 3 train and 2 val images each.</summary>
    public static void ImageNet(MiniRoot r)
    {
        r.Text("imagenet/classnames.txt", ClassNamesTxt);
        foreach (var wnid in new[] { "n01443537", "n01440764", "n01491361" })
        {
            r.Images($"imagenet/images/train/{wnid}", 3, $"{wnid}_", ".JPEG");
            r.Images($"imagenet/images/val/{wnid}", 2, "ILSVRC2012_val_", ".JPEG");
        }
    }

    /// <summary>ImageNet-V2: label folders 0..3, 2 images each; classnames.txt only in imagenet/ (not copied).</summary>
    public static void ImageNetV2(MiniRoot r)
    {
        r.Text("imagenet/classnames.txt", ClassNamesTxt);
        for (var label = 0; label < 4; label++)
            r.Images($"imagenetv2/imagenetv2-matched-frequency-format-val/{label}", 2, "v2_");
    }

    public static void ImageNetSketch(MiniRoot r)
    {
        r.Text("imagenet-sketch/classnames.txt", ClassNamesTxt);
        foreach (var line in ClassNamesTxt)
            r.Images($"imagenet-sketch/images/{line[..9]}", 2, "sketch_");
    }

    /// <summary>ImageNet-A with 2 of the 4 classes (a subset, as its 200 of 1,000) and its README.txt.</summary>
    public static void ImageNetA(MiniRoot r)
    {
        r.Text("imagenet-adversarial/classnames.txt", ClassNamesTxt);
        r.Text("imagenet-adversarial/imagenet-a/README.txt", "ImageNet-A");
        r.Images("imagenet-adversarial/imagenet-a/n01491361", 3, "a_");
        r.Images("imagenet-adversarial/imagenet-a/n01443537", 2, "a_");
    }

    /// <summary>ImageNet-R with 3 of the 4 classes.</summary>
    public static void ImageNetR(MiniRoot r)
    {
        r.Text("imagenet-rendition/classnames.txt", ClassNamesTxt);
        r.Text("imagenet-rendition/imagenet-r/README.txt", "ImageNet-R");
        foreach (var wnid in new[] { "n01484850", "n01440764", "n01491361" })
            r.Images($"imagenet-rendition/imagenet-r/{wnid}", 2, "art_");
    }

    /// <summary>Per class: the first <paramref name="train"/> images to train, the next <paramref name="val"/> to val, the rest to test.</summary>
    public static Dictionary<string, List<(string Path, int Label, string Name)>> Split(List<List<string>> perClass, string[] names, int train, int val)
    {
        var splits = new Dictionary<string, List<(string, int, string)>> { ["train"] = [], ["val"] = [], ["test"] = [] };
        for (var label = 0; label < perClass.Count; label++)
        {
            var images = perClass[label];
            for (var i = 0; i < images.Count; i++)
                splits[i < train ? "train" : i < train + val ? "val" : "test"].Add((images[i], label, names[label]));
        }
        return splits;
    }
}
