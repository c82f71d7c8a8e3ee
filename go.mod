module github.com/lamina-ml/lamina

go 1.26.8
