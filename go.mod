module github.com/lamina-ml/lamina

go 1.26.8

require golang.org/x/text v0.25.0 // indirect
